// What an executable is built for, from its first bytes: a 64-bit little-endian ELF (Linux) or a
// thin 64-bit Mach-O (macOS). Used by the packager before it ships a server binary and by the
// test that opens the shipped .vsix files.
import { closeSync, openSync, readSync } from 'node:fs';

/** The header each platform-specific .vsix must carry at server/flake-lsp. */
export const PLATFORMS = {
  'linux-x64': { format: 'ELF', arch: 'x86_64' },
  'linux-arm64': { format: 'ELF', arch: 'aarch64' },
  'darwin-x64': { format: 'Mach-O', arch: 'x86_64' },
  'darwin-arm64': { format: 'Mach-O', arch: 'arm64' },
};

/** Bytes enough for identify(). */
export const HEADER_SIZE = 64;

const ELF_MACHINES = { 0x3e: 'x86_64', 0xb7: 'aarch64' };
const MACHO_CPUS = { 0x01000007: 'x86_64', 0x0100000c: 'arm64' };
const hex = (n, width) => `0x${n.toString(16).padStart(width, '0')}`;

/**
 * The format and architecture of the executable starting with `bytes`, or why it cannot be
 * told. An unknown architecture of a known format comes back as e.g. `machine 0x28`.
 * @param {Uint8Array} bytes
 * @returns {{ format: 'ELF' | 'Mach-O', arch: string } | { unsupported: string }}
 */
export function identify(bytes) {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length >= 4 && b.readUInt32BE(0) === 0x7f454c46) {
    if (b.length < 20) return { unsupported: 'a truncated ELF header' };
    if (b[4] !== 2) return { unsupported: 'a 32-bit ELF file' };
    if (b[5] !== 1) return { unsupported: 'a big-endian ELF file' };
    const machine = b.readUInt16LE(18);
    return { format: 'ELF', arch: ELF_MACHINES[machine] ?? `machine ${hex(machine, 4)}` };
  }
  if (b.length >= 4) {
    const magic = b.readUInt32BE(0);
    if (magic === 0xcffaedfe) {
      if (b.length < 8) return { unsupported: 'a truncated Mach-O header' };
      const cpu = b.readUInt32LE(4);
      return { format: 'Mach-O', arch: MACHO_CPUS[cpu] ?? `cputype ${hex(cpu, 8)}` };
    }
    if (magic === 0xcafebabe || magic === 0xcafebabf) return { unsupported: 'a universal (fat) Mach-O file' };
    if (magic === 0xcefaedfe || magic === 0xfeedface) return { unsupported: 'a 32-bit Mach-O file' };
    if (magic === 0xfeedfacf) return { unsupported: 'a big-endian Mach-O file' };
  }
  if (b.length >= 2 && b[0] === 0x4d && b[1] === 0x5a) return { unsupported: 'a Windows (PE) file' };
  if (b.length >= 2 && b[0] === 0x23 && b[1] === 0x21) return { unsupported: 'a script (#!), not a compiled executable' };
  return { unsupported: 'not an ELF or Mach-O executable' };
}

const article = (format) => (format === 'ELF' ? 'an' : 'a');

/** "an ELF x86_64 file", "a universal (fat) Mach-O file", … */
export function describe(id) {
  if ('unsupported' in id) return id.unsupported;
  return `${article(id.format)} ${id.format} ${id.arch} file`;
}

/**
 * Null when `bytes` start an executable for `platform` (a key of PLATFORMS), else what is wrong,
 * e.g. "server for darwin-arm64 is an ELF x86_64 file, not a Mach-O arm64 one".
 * @param {string} platform
 * @param {Uint8Array} bytes
 * @returns {string | null}
 */
export function checkServer(platform, bytes) {
  const want = PLATFORMS[platform];
  if (!want) throw new Error(`unknown platform ${platform}`);
  const id = identify(bytes);
  if ('format' in id && id.format === want.format && id.arch === want.arch) return null;
  return `server for ${platform} is ${describe(id)}, not ${article(want.format)} ${want.format} ${want.arch} one`;
}

/**
 * The first `size` bytes of a file (fewer when it is shorter).
 * @param {string} file
 * @returns {Buffer}
 */
export function readHeader(file, size = HEADER_SIZE) {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(size);
    return buf.subarray(0, readSync(fd, buf, 0, size, 0));
  } finally {
    closeSync(fd);
  }
}
