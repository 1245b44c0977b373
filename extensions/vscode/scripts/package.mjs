// `npm run package [-- --target T ...] [--out FILE]`: the .vsix files, in this directory.
//
//   flake-lsp-linux-x64.vsix  flake-lsp-linux-arm64.vsix  flake-lsp-darwin-x64.vsix
//   flake-lsp-darwin-arm64.vsix                           (vsce --target T, with server/flake-lsp)
//   flake-lsp-universal.vsix  (no target, no server/: flake-lsp on PATH or flakeLsp.server.path)
//
// The server binary of platform T: $FLAKE_LSP_SERVER_<T> (e.g. FLAKE_LSP_SERVER_DARWIN_ARM64),
// else the repository's cross-build output target/<triple>/dist/flake-lsp (made by
// `bash scripts/build-release.sh`). For linux-x64, $FLAKE_LSP_SERVER comes first and
// target/release/flake-lsp and target/debug/flake-lsp come last. Each binary's header must
// match its platform (scripts/binary.mjs). Builds nothing of the server.
//
// --target T (repeatable; linux-x64, linux-arm64, darwin-x64, darwin-arm64, universal) makes
// only those; without it all five are made and a missing binary is an error. --out FILE names
// the output when exactly one --target is given.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkServer, readHeader } from './binary.mjs';

const here = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repo = resolve(here, '../..');

const TARGETS = [
  { name: 'linux-x64', env: 'FLAKE_LSP_SERVER_LINUX_X64', triple: 'x86_64-unknown-linux-gnu' },
  { name: 'linux-arm64', env: 'FLAKE_LSP_SERVER_LINUX_ARM64', triple: 'aarch64-unknown-linux-gnu' },
  { name: 'darwin-x64', env: 'FLAKE_LSP_SERVER_DARWIN_X64', triple: 'x86_64-apple-darwin' },
  { name: 'darwin-arm64', env: 'FLAKE_LSP_SERVER_DARWIN_ARM64', triple: 'aarch64-apple-darwin' },
  { name: 'universal' },
];

function fail(lines) {
  for (const line of [lines].flat()) console.error(`package: ${line}`);
  process.exit(1);
}

// Arguments.
const wanted = [];
let out;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const [flag, inline] = argv[i].startsWith('--') && argv[i].includes('=') ? argv[i].split(/=(.*)/s) : [argv[i]];
  const value = () => inline ?? (i + 1 < argv.length ? argv[++i] : fail(`${flag} needs a value`));
  if (flag === '--target') wanted.push(value());
  else if (flag === '--out') out = value();
  else fail(`unknown argument ${argv[i]}; usage: npm run package [-- --target T ...] [--out FILE]`);
}
const names = TARGETS.map((t) => t.name);
for (const name of wanted) {
  if (!names.includes(name)) fail(`unknown target ${name}; one of ${names.join(', ')}`);
}
const targets = wanted.length ? TARGETS.filter((t) => wanted.includes(t.name)) : TARGETS;
if (out !== undefined && targets.length !== 1) fail('--out needs exactly one --target');

// Relative paths in the environment are taken from where npm was started.
const cwd = process.env.INIT_CWD ?? process.cwd();
const show = (p) => (relative(here, p).startsWith('..') && relative(repo, p).startsWith('..') ? p : relative(here, p) || '.');

/** Where the server for `t` may be, in order: [{ path, from }], `from` naming an env var or null. */
function candidates(t) {
  const fromEnv = (name) => ({ path: process.env[name] ? resolve(cwd, process.env[name]) : undefined, from: name });
  const list = [];
  if (t.name === 'linux-x64') list.push(fromEnv('FLAKE_LSP_SERVER'));
  list.push(fromEnv(t.env), { path: join(repo, 'target', t.triple, 'dist/flake-lsp'), from: null });
  if (t.name === 'linux-x64') {
    list.push({ path: join(repo, 'target/release/flake-lsp'), from: null }, { path: join(repo, 'target/debug/flake-lsp'), from: null });
  }
  return list;
}

/** The server binary for `t`, or what is wrong. An environment variable naming no file is an error, not skipped. */
function findServer(t) {
  const list = candidates(t);
  for (const c of list) {
    if (!c.path) continue;
    const isFile = existsSync(c.path) && statSync(c.path).isFile();
    if (isFile) return { server: c };
    if (c.from) return { error: `$${c.from} is ${process.env[c.from]}, which is not a file` };
  }
  const looked = list.map((c) => (c.from ? `$${c.from} (unset)` : show(c.path))).join(', ');
  return {
    error:
      `no server binary for ${t.name}: set ${t.env} or run \`bash scripts/build-release.sh\` at the repository root ` +
      `(looked at ${looked})`,
  };
}

const servers = new Map();
const problems = [];
let missing = false;
for (const t of targets) {
  if (!t.env) continue;
  const found = findServer(t);
  if (found.error) {
    missing = true;
    problems.push(found.error);
    continue;
  }
  const { path, from } = found.server;
  const where = `${show(path)}${from ? ` from $${from}` : ''}`;
  const wrong = checkServer(t.name, readHeader(path));
  if (wrong) problems.push(`${wrong} (${where})`);
  else servers.set(t.name, where);
}
if (problems.length) {
  if (missing && !wanted.length) problems.push('(to make only some packages: npm run package -- --target linux-x64 [--target …])');
  fail(problems);
}

// The extension's bundle is the same in every package: built once.
const run = (cmd, args) => execFileSync(cmd, args, { cwd: here, stdio: 'inherit' });
run(process.execPath, ['scripts/build.mjs', '--minify']);

const vsce = join(here, 'node_modules/@vscode/vsce/vsce');
const serverDir = join(here, 'server');
const made = [];
let failed;
try {
  for (const t of targets) {
    const file = out !== undefined ? resolve(cwd, out) : join(here, `flake-lsp-${t.name}.vsix`);
    mkdirSync(dirname(file), { recursive: true });
    // A server/ left from another package (or an earlier run) must not ship in this one.
    rmSync(serverDir, { recursive: true, force: true });
    const args = ['package', '--no-dependencies', '--skip-license', '--allow-missing-repository', '--out', file];
    if (t.env) {
      const { path } = findServer(t).server;
      mkdirSync(serverDir);
      copyFileSync(path, join(serverDir, 'flake-lsp'));
      chmodSync(join(serverDir, 'flake-lsp'), 0o755);
      args.splice(1, 0, '--target', t.name);
      console.log(`package: ${t.name}: server ${servers.get(t.name)}`);
    } else {
      console.log(`package: universal: no server (flake-lsp on PATH or flakeLsp.server.path)`);
    }
    try {
      run(process.execPath, [vsce, ...args]);
    } catch {
      failed = `vsce package failed for ${t.name} (its output is above)`;
      break;
    }
    made.push(show(file));
  }
} finally {
  rmSync(serverDir, { recursive: true, force: true });
}
if (failed) fail(made.length ? [failed, `made ${made.join(', ')} before it`] : failed);
console.log(`package: made ${made.join(', ')}`);
