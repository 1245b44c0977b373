// `npm run package`: a linux-x64 .vsix carrying the server binary, taken from
// $FLAKE_LSP_SERVER, else the repository's target/release/flake-lsp, else target/debug/flake-lsp.
// Builds nothing of the server. Output: flake-lsp-linux-x64.vsix (or the path given with --out).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repo = resolve(here, '../..');
const candidates = [
  process.env.FLAKE_LSP_SERVER,
  join(repo, 'target/release/flake-lsp'),
  join(repo, 'target/debug/flake-lsp'),
].filter(Boolean);
const server = candidates.find((p) => existsSync(p));
if (!server) {
  console.error(`package: no server binary; looked at ${candidates.join(', ')}. Build it (cargo build --release) or set FLAKE_LSP_SERVER.`);
  process.exit(1);
}
const outArg = process.argv.indexOf('--out');
const out = resolve(outArg > 0 ? process.argv[outArg + 1] : join(here, 'flake-lsp-linux-x64.vsix'));

console.log(`package: server ${server}`);
rmSync(join(here, 'server'), { recursive: true, force: true });
mkdirSync(join(here, 'server'));
copyFileSync(server, join(here, 'server/flake-lsp'));
chmodSync(join(here, 'server/flake-lsp'), 0o755);

const run = (cmd, args) => execFileSync(cmd, args, { cwd: here, stdio: 'inherit' });
run(process.execPath, ['scripts/build.mjs', '--minify']);
const vsce = join(here, 'node_modules/@vscode/vsce/vsce');
run(process.execPath, [vsce, 'package', '--target', 'linux-x64', '--no-dependencies', '--skip-license', '--allow-missing-repository', '--out', out]);
console.log(`package: ${out}`);
