// Where the server binary is: the `flakeLsp.server.path` setting, then the one shipped in the
// .vsix, then `flake-lsp` on PATH.
import { constants as fsConstants, promises as fs } from 'fs';
import * as path from 'path';

export interface ServerLocation {
  path: string;
  source: 'setting' | 'bundled' | 'PATH';
}

async function executable(file: string): Promise<boolean> {
  try {
    await fs.access(file, fsConstants.X_OK);
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

/**
 * The server binary: the `flakeLsp.server.path` setting, then the one shipped in the .vsix,
 * then `flake-lsp` on PATH. A setting that names a missing file is an error, not skipped.
 */
export async function findServer(
  configured: string | null | undefined,
  extensionPath: string,
  searchPath: string | undefined,
  isExecutable: (file: string) => Promise<boolean> = executable,
): Promise<ServerLocation | { error: string }> {
  if (configured) {
    const file = configured.startsWith('~/') ? path.join(process.env.HOME ?? '', configured.slice(2)) : configured;
    if (await isExecutable(file)) return { path: file, source: 'setting' };
    return { error: `flakeLsp.server.path is set to ${configured}, which is not an executable file.` };
  }
  const bundled = path.join(extensionPath, 'server', 'flake-lsp');
  // An unzip that lost the executable bit is repaired.
  await fs.chmod(bundled, 0o755).catch(() => undefined);
  if (await isExecutable(bundled)) return { path: bundled, source: 'bundled' };
  for (const dir of (searchPath ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, 'flake-lsp');
    if (await isExecutable(file)) return { path: file, source: 'PATH' };
  }
  return {
    error:
      'The flake-lsp server was not found: this build of the extension does not ship it and `flake-lsp` is not on PATH. ' +
      'Install flake-lsp (build it with `cargo build --release`) and set flakeLsp.server.path to the binary.',
  };
}
