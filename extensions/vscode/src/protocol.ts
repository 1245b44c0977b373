// The server's custom protocol (docs/protocol.md, protocol version 1): only types, no code.

export type EnvState = 'realising' | 'ready' | 'stale' | 'failed' | 'untrusted';

export interface PythonInfo {
  interpreter: string;
  version: string | null;
  venv: string | null;
  sitePackages: string | null;
  shellPython: string | null;
  broken: string | null;
}

/** `flake/environment` (server → client). */
export interface EnvironmentParams {
  protocol: number;
  root: string;
  shell: string | null;
  state: EnvState;
  fromCache?: boolean;
  set: Record<string, string>;
  unset: string[];
  python: PythonInfo | null;
  error: string | null;
  errorPosition?: { file: string; line: number; column: number } | null;
  log: string | null;
}

/** The result of the server command `flake-lsp.enterEnvironment`. */
export interface TerminalSpec {
  name: string;
  cwd: string;
  env: Record<string, string>;
  unset: string[];
  state: EnvState;
}

export interface ShellsResult {
  root: string;
  shells: string[];
  current: string | null;
}

export const ENVIRONMENT = 'flake/environment';
export const REALISE = 'flake/realise';
export const SHELLS = 'flake/shells';
export const TRUST = 'flake/trust';
export const ENTER_ENVIRONMENT = 'flake-lsp.enterEnvironment';

/** The last part of a shell attribute: `devShells.x86_64-linux.default` → `default`. */
export function shortShell(shell: string | null | undefined): string {
  if (!shell) return 'dev shell';
  const parts = shell.split('.');
  return parts[parts.length - 1] || shell;
}

/** The flake's directory name: `/home/me/project` → `project`. */
export function flakeName(root: string): string {
  const parts = root.split('/').filter(Boolean);
  return parts[parts.length - 1] ?? root;
}
