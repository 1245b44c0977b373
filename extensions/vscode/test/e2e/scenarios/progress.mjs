// Progress shown for what it is. The package index of the flake's nixpkgs is held back (a
// stand-in `nix`, named by FLAKE_LSP_NIX, makes the index's reading of every package's details
// wait for a file the test writes; everything else runs as `nix` does), so it is observed
// without racing: while it runs, the status item still says the dev shell is ready and lists
// "indexing the packages" after it, never "realising"; its notification is titled with what
// runs ("flake-lsp: Indexing the packages of nixpkgs"). Once released, the index ends and the status item is the plain ready one again.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { log, pythonFlake, statusText, trustAndWait, until } from '../harness.mjs';

const nix = execFileSync('sh', ['-c', 'command -v nix'], { encoding: 'utf8' }).trim();

export const setup = {
  folders: [{ name: 'project', flake: pythonFlake() }],
  home: {
    // Holds back the index's one evaluation of every package's details until the gate exists
    // (five minutes at most, so a failed run leaves nothing behind for long).
    'bin/nix-holding-the-index': `#!/bin/sh
for a in "$@"; do case "$a" in *'(builtins.attrNames set)'*)
  i=0; while [ ! -e "$HOME/release-the-index" ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i+1)); done;; esac; done
exec '${nix}' "$@"
`,
  },
  env: (dirs) => ({ FLAKE_LSP_NIX: join(dirs.home, 'bin/nix-holding-the-index') }),
};

export async function run(h) {
  const gate = join(h.dirs.home, 'release-the-index');
  try {
    await check(h, gate);
  } finally {
    // Whatever happened, the held Nix goes on (and ends with the server).
    writeFileSync(gate, '');
  }
}

async function check(h, gate) {
  const { page } = h;
  await trustAndWait(h);
  // Opening a .nix file of the flake starts its package index.
  await h.commandPalette('Go to File');
  await page.locator('.quick-input-widget input').fill('flake.nix');
  const row = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'flake.nix' }).first();
  await row.waitFor({ state: 'visible', timeout: 15000 });
  await row.click();
  const indexing = await until('the status item to list the index', 120000, async () => {
    const t = await statusText(page);
    return /indexing the packages/.test(t) ? t : undefined;
  });
  // Its notification, as a toast or (toasts hidden) as the progress entry in the status bar.
  const notification = page
    .locator('.notification-toast, .statusbar-item')
    .filter({ hasText: /flake-lsp: Indexing the packages of nixpkgs/ });
  const titled = await notification.first().waitFor({ state: 'visible', timeout: 15000 }).then(() => true, () => false);
  await h.shot('indexing');
  log(`while indexing: status "${indexing}", notification titled with the index: ${titled}`);
  if (!/^nix: default · Python \d/.test(indexing)) throw new Error(`while indexing the status is "${indexing}", not the ready dev shell`);
  if (/realising/i.test(indexing)) throw new Error(`the index is shown as realising: "${indexing}"`);
  if (!titled) throw new Error('no notification titled "Indexing the packages of …"');
  writeFileSync(gate, '');
  const after = await until('the index to end', 120000, async () => {
    const t = await statusText(page);
    return /^nix: default · Python \d/.test(t) && !/indexing/.test(t) ? t : undefined;
  });
  await h.shot('indexed');
  log(`after the index: status "${after}"`);
}
