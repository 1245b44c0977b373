// End-to-end tests in a real VS Code (code-server 4.100.3 = VS Code 1.100.3) driven by Debian's
// Chromium through playwright-core, with real Nix and the fixture nixpkgs.
//
//   node test/e2e/run.mjs [--vsix FILE] [--out DIR] [--keep] [--only NAME[,NAME…]]
//
// Runs every scenario in test/e2e/scenarios/ (test/e2e/harness.mjs says what one is), each in
// its own code-server with its own HOME, user settings and extensions, one after the other.
// Screenshots and logs go to <out>/<scenario>/ (default out: <repo>/target/vscode-e2e).
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { READY_TIMEOUT, here, log, repo, withCodeServer } from './harness.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const vsix = resolve(arg('--vsix', process.env.FLAKE_LSP_VSIX ?? join(here, 'flake-lsp-linux-x64.vsix')));
const out = resolve(arg('--out', process.env.FLAKE_LSP_E2E_OUT ?? join(repo, 'target/vscode-e2e')));
const keep = process.argv.includes('--keep');
const only = arg('--only', process.env.FLAKE_LSP_E2E_ONLY)?.split(',');

async function main() {
  const dir = join(here, 'test/e2e/scenarios');
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.mjs'))
    .map((f) => f.replace(/\.mjs$/, ''))
    .sort();
  const chosen = only ? names.filter((n) => only.includes(n)) : names;
  if (only && chosen.length !== only.length) throw new Error(`no scenario named ${only.filter((n) => !names.includes(n)).join(', ')}`);
  const failed = [];
  for (const name of chosen) {
    const scenario = await import(pathToFileURL(join(dir, `${name}.mjs`)).href);
    log(`--- ${name}`);
    try {
      await withCodeServer(name, vsix, out, scenario.setup, scenario.run, { keep });
      log(`PASS ${name}`);
    } catch (e) {
      console.error(`e2e: FAIL ${name}: ${e.stack ?? e}`);
      failed.push(name);
    }
  }
  if (failed.length > 0) throw new Error(`${failed.length} of ${chosen.length} scenarios failed: ${failed.join(', ')}`);
  log(`${chosen.length} scenarios passed: ${chosen.join(', ')}`);
}

// A last bound on the whole run, whatever hangs.
setTimeout(() => {
  console.error('e2e: FAIL: the whole run took too long');
  process.exit(1);
}, 2 * READY_TIMEOUT + 30 * 60 * 1000).unref();

main().then(
  () => {
    log('PASS');
    process.exit(0);
  },
  (e) => {
    console.error(`e2e: FAIL: ${e.message ?? e}`);
    process.exit(1);
  },
);
