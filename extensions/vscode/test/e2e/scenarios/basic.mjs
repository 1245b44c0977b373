// The first look, with no rc files and shell integration off (the plain case): untrusted
// first, trusted without a reload, then
//   1. a new integrated terminal has $VIRTUAL_ENV and `command -v python` in the fixture's .venv;
//   2. the folder's settings name the venv's interpreter (no Python extension here);
//   3. the "Enter environment" code action on the devShells definition opens a terminal named
//      after the shell, in the flake root, inside the environment;
//   4. "Reload environment" in the status item's menu realises again.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { READY_TIMEOUT, commandPalette, log, pythonFlake, statusText, typeInTerminal, until, waitForStatus } from '../harness.mjs';

export const setup = {
  folders: [{ name: 'project', flake: pythonFlake() }],
  user: { 'terminal.integrated.shellIntegration.enabled': false },
};

export async function run(h) {
  const { page, project } = h;
  const settingsFile = join(project, '.vscode/settings.json');
  // Untrusted first: language features only, the status bar says so.
  const trustButton = page.getByRole('button', { name: /Yes, I trust the authors/i });
  await trustButton.waitFor({ state: 'visible', timeout: 60000 });
  await until('the status bar to say untrusted', 60000, async () => /untrusted/.test(await statusText(page)));
  await h.shot('untrusted');
  log(`before trust: ${await statusText(page)}`);
  await trustButton.click();
  // Evidence, not an assertion (realising may be over before it shows): the cancellable
  // progress notification.
  const toast = page.locator('.notification-toast').filter({ hasText: /Realising the dev shell/ });
  const sawProgress = await toast.first().waitFor({ state: 'visible', timeout: 5000 }).then(() => true, () => false);
  if (sawProgress) await h.shot('realising');
  log(`progress notification seen: ${sawProgress}`);

  // Trusting enables the environment without a reload.
  const ready = await waitForStatus(h, /nix: default · Python \d/);
  log(`ready: ${ready}`);
  await h.shot('ready');

  // 1. A new terminal is inside the environment.
  const venv = join(project, '.venv');
  const first = join(h.dirs.results, 'terminal.txt');
  await commandPalette(page, 'Terminal: Create New Terminal');
  await until('a terminal', 30000, () => page.locator('.xterm').first().isVisible());
  await page.waitForTimeout(1000); // let the shell print its prompt before typing
  await typeInTerminal(page, `{ echo "$VIRTUAL_ENV"; command -v python; } > ${first}.tmp && mv ${first}.tmp ${first}`);
  const lines = await until('the terminal to write its file', 60000, () =>
    existsSync(first) ? readFileSync(first, 'utf8').trim().split('\n') : undefined,
  );
  await h.shot('terminal');
  log(`terminal: VIRTUAL_ENV=${lines[0]} python=${lines[1]}`);
  if (lines[0] !== venv) throw new Error(`VIRTUAL_ENV is ${lines[0]}, expected ${venv}`);
  if (!lines[1]?.startsWith(venv + '/')) throw new Error(`python is ${lines[1]}, expected inside ${venv}`);

  // 2. The interpreter is selected in the folder's settings.
  const interpreter = await until('python.defaultInterpreterPath in the folder settings', 30000, () => {
    const value = JSON.parse(readFileSync(settingsFile, 'utf8'))['python.defaultInterpreterPath'];
    return value;
  });
  log(`python.defaultInterpreterPath = ${interpreter}`);
  if (interpreter !== join(venv, 'bin/python')) throw new Error(`interpreter ${interpreter}, expected ${venv}/bin/python`);

  // 3. "Enter environment" from the code action on the devShells definition.
  await commandPalette(page, 'Go to File');
  const input = page.locator('.quick-input-widget input');
  await input.fill('flake.nix');
  const row = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'flake.nix' }).first();
  await row.waitFor({ state: 'visible', timeout: 15000 });
  await row.click();
  await page.locator('.monaco-editor .view-lines').first().waitFor({ state: 'visible', timeout: 15000 });
  const line = pythonFlake().split('\n').findIndex((l) => l.includes('devShells')) + 1;
  const action = page.locator('.action-widget .monaco-list-row, .action-widget li').filter({ hasText: 'Enter environment' }).first();
  await until('the "Enter environment" code action', 60000, async () => {
    await page.keyboard.press('Escape');
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+G');
    await page.keyboard.type(String(line));
    await page.keyboard.press('Enter');
    await page.keyboard.press('End');
    await page.keyboard.press('Control+Period');
    await action.waitFor({ state: 'visible', timeout: 5000 });
    return true;
  }, 1000);
  await h.shot('code-action');
  // The menu's pointer guard swallows clicks: choose it with the keyboard.
  const focused = page.locator('.action-widget .monaco-list-row.focused');
  await until('"Enter environment" to be focused in the menu', 15000, async () => {
    if (/Enter environment/.test(await focused.first().innerText().catch(() => ''))) return true;
    await page.keyboard.press('ArrowDown');
    return false;
  }, 200);
  await page.keyboard.press('Enter');
  const tab = page.locator('.terminal-tabs-entry, .single-terminal-tab, .terminal-tab').filter({ hasText: 'nix: default' }).first();
  await until('the "nix: default" terminal', 30000, () => tab.isVisible().catch(() => false));
  await page.waitForTimeout(1000);
  const second = join(h.dirs.results, 'enter.txt');
  await typeInTerminal(page, `{ echo "$GREETING"; pwd; echo "$VIRTUAL_ENV"; } > ${second}.tmp && mv ${second}.tmp ${second}`);
  const entered = await until('the environment terminal to write its file', 60000, () =>
    existsSync(second) ? readFileSync(second, 'utf8').trim().split('\n') : undefined,
  );
  await h.shot('enter-environment');
  log(`enter environment: GREETING=${entered[0]} cwd=${entered[1]} VIRTUAL_ENV=${entered[2]}`);
  if (entered[0] !== 'hello') throw new Error(`GREETING is ${entered[0]} in the environment terminal`);
  if (entered[1] !== project) throw new Error(`the environment terminal is in ${entered[1]}, expected ${project}`);
  if (entered[2] !== venv) throw new Error(`VIRTUAL_ENV is ${entered[2]} in the environment terminal`);

  // 4. The status bar item's menu: "Reload environment" realises again and comes back ready.
  await page.locator('.statusbar-item').filter({ hasText: /^\s*nix: default/ }).first().click();
  const reload = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'Reload environment' }).first();
  await reload.waitFor({ state: 'visible', timeout: 15000 });
  await h.shot('menu');
  await reload.click();
  const seen = [await statusText(page)];
  const isReady = (t) => /nix: default · Python \d/.test(t);
  const look = async () => {
    const t = await statusText(page);
    if (t !== seen[seen.length - 1]) seen.push(t);
    return t;
  };
  // Realising again may be over between two looks: seeing it is not required, ready is.
  await until('the status bar to show the reload', 30000, async () => !isReady(await look()), 100).catch(() => undefined);
  await until('the status bar to say ready after reloading', READY_TIMEOUT, async () => isReady(await look()), 500);
  // The extension's output (VS Code writes output channels to the logs) shows a second realisation.
  const realisations = await until('a second realisation in the extension output', 30000, () => {
    const n = (h.outputLog().match(/progress: Realising the dev shell/g) ?? []).length;
    return n >= 2 ? n : undefined;
  });
  log(`realisations in the extension output: ${realisations}`);
  log(`after reload: ${seen.join(' → ')}`);
  return true;
}
