// Types of binary.mjs, for the TypeScript unit tests.
export type Platform = 'linux-x64' | 'linux-arm64' | 'darwin-x64' | 'darwin-arm64';
export type Identity = { format: 'ELF' | 'Mach-O'; arch: string } | { unsupported: string };
export declare const PLATFORMS: Record<Platform, { format: 'ELF' | 'Mach-O'; arch: string }>;
export declare const HEADER_SIZE: number;
export declare function identify(bytes: Uint8Array): Identity;
export declare function describe(id: Identity): string;
export declare function checkServer(platform: string, bytes: Uint8Array): string | null;
export declare function readHeader(file: string, size?: number): Buffer;
