// What the Python scenarios share: a Python file to open (the Python extensions show their
// status items only for Python editors), reading the interpreter in use from the UI and from the
// reporter, and picking an interpreter by hand in the real picker.
import { join } from 'node:path';
import { commandPalette, log, shared, until } from './harness.mjs';

export const MS_PYTHON = join(shared, 'vendor/ms-python-linux-x64.vsix');
export const MS_PYTHON_ENVS = join(shared, 'vendor/ms-python-envs-1.2.0-linux-x64.vsix');
export const MAIN_PY = { 'main.py': 'import sys\nprint(sys.executable)\n' };

/** Opens `file` of the workspace with "Go to File". */
export async function openFile(page, file) {
  await commandPalette(page, 'Go to File');
  const input = page.locator('.quick-input-widget input');
  await input.fill(file);
  const row = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: file }).first();
  await row.waitFor({ state: 'visible', timeout: 15000 });
  await row.click();
  await page.locator('.monaco-editor .view-lines').first().waitFor({ state: 'visible', timeout: 15000 });
}

/**
 * The Python extensions' status bar item: its text and, from hovering it, its tooltip
 * (ms-python's tooltip is the interpreter's full path). Undefined when there is none.
 */
export async function pythonStatusItem(page) {
  const items = page.locator('.statusbar-item');
  const n = await items.count();
  for (let i = 0; i < n; i++) {
    const item = items.nth(i);
    const id = (await item.getAttribute('id')) ?? '';
    if (!/python/i.test(id) || /flake/i.test(id)) continue;
    const text = (await item.innerText()).trim();
    if (!text) continue;
    const aria = (await item.getAttribute('aria-label')) ?? (await item.locator('a').first().getAttribute('aria-label').catch(() => null)) ?? '';
    await item.hover();
    const hover = page.locator('.workbench-hover, .monaco-hover').filter({ hasText: /\S/ }).last();
    const tooltip = await hover
      .waitFor({ state: 'visible', timeout: 5000 })
      .then(() => hover.innerText())
      .catch(() => '');
    await page.mouse.move(700, 300);
    return { id, text, aria, tooltip: tooltip.trim() };
  }
  return undefined;
}

/** How the Python extension shows `interpreter` of `folder`: `./…` inside it, else the full path. */
export function shown(interpreter, folder) {
  return interpreter.startsWith(folder + '/') ? '.' + interpreter.slice(folder.length) : interpreter;
}

/** Waits for the Python status item's tooltip to be `interpreter` (as the extension shows it). */
export async function waitForPythonStatus(page, interpreter, ms = 60000) {
  let last;
  return until(`the Python status item to show ${interpreter}`, ms, async () => {
    const item = await pythonStatusItem(page);
    if (JSON.stringify(item) !== JSON.stringify(last)) log(`Python status item: ${JSON.stringify(item)}`);
    last = item;
    return item?.tooltip === interpreter ? item : undefined;
  }, 2000).catch((e) => {
    throw new Error(`${e.message}; last seen: ${JSON.stringify(last)}`);
  });
}

/**
 * Opens "Python: Select Interpreter" and returns what it says is selected (its placeholder,
 * "Selected Interpreter: …", and the rows), then closes it.
 */
export async function interpreterPicker(page) {
  await commandPalette(page, 'Python: Select Interpreter');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 15000 });
  await page.locator('.quick-input-list .monaco-list-row').first().waitFor({ state: 'visible', timeout: 30000 });
  const placeholder = (await input.getAttribute('placeholder')) ?? '';
  const rows = await page.locator('.quick-input-list .monaco-list-row').allInnerTexts();
  return { placeholder, rows: rows.map((r) => r.replace(/\s+/g, ' ').trim()) };
}

/** The tooltip of flake-lsp's status item (hovered). */
export async function flakeStatusTooltip(page) {
  const item = page.locator('.statusbar-item').filter({ hasText: /^\s*nix\b/ }).first();
  await item.hover();
  const hover = page.locator('.workbench-hover, .monaco-hover').filter({ hasText: /Flake:/ }).last();
  await hover.waitFor({ state: 'visible', timeout: 10000 });
  const text = (await hover.innerText()).trim();
  await page.mouse.move(700, 300);
  return text;
}

/** The interpreter the dev shell offers, as flake-lsp's status tooltip names it ("Python: …"). */
export async function offeredInterpreter(page) {
  const tooltip = await flakeStatusTooltip(page);
  const m = /^Python: (\S+)$/m.exec(tooltip);
  if (!m) throw new Error(`no "Python:" line in flake-lsp's tooltip: ${tooltip}`);
  return m[1];
}

/** Picks `interpreter` by hand: "Python: Select Interpreter" → "Enter interpreter path...". */
export async function pickInterpreterByHand(page, interpreter) {
  await commandPalette(page, 'Python: Select Interpreter');
  const input = page.locator('.quick-input-widget input');
  const enter = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'Enter interpreter path' }).first();
  await enter.waitFor({ state: 'visible', timeout: 30000 });
  await enter.click();
  await until('the interpreter path box', 15000, async () => /path to a Python interpreter/i.test((await input.getAttribute('placeholder')) ?? ''));
  await input.fill(interpreter);
  await page.keyboard.press('Enter');
}

/** The reporter's entry for `folder`. */
export function folderReport(report, folder) {
  const entry = report.folders.find((f) => f.folder === folder);
  if (!entry) throw new Error(`the reporter has no entry for ${folder}: ${JSON.stringify(report)}`);
  return entry;
}

/**
 * Checks that the Python extension uses `interpreter` for the folder: the reporter (the API) says
 * so and still does a while later (nothing overwrote it), and so do its status item and the
 * interpreter picker. `tag` names the screenshots.
 */
export async function expectPythonExtensionUses(h, interpreter, tag) {
  const api = async () => folderReport(await h.report(), h.project).activeEnvironmentPath;
  let seen;
  await until(`the Python extension's API to report ${interpreter}`, 120000, async () => (seen = await api()) === interpreter, 3000).catch(async (e) => {
    throw new Error(`${e.message}; it reports ${seen}; events ${JSON.stringify((await h.report()).events)}`);
  });
  await h.page.waitForTimeout(10000); // a late overwrite (the extension's first-run migration) would show now
  const later = await h.report();
  log(`${tag}: events ${JSON.stringify(later.events)}`);
  const still = folderReport(later, h.project).activeEnvironmentPath;
  if (still !== interpreter) throw new Error(`${tag}: the Python extension went back to ${still} after selecting ${interpreter}`);
  await openFile(h.page, 'main.py');
  const display = shown(interpreter, h.project);
  const item = await waitForPythonStatus(h.page, display);
  log(`${tag}: Python status item ${JSON.stringify(item)}`);
  await h.shot(`${tag}-python-status`);
  const picker = await interpreterPicker(h.page);
  log(`${tag}: interpreter picker ${JSON.stringify(picker)}`);
  await h.shot(`${tag}-picker`);
  await h.page.keyboard.press('Escape');
  if (picker.placeholder !== `Selected Interpreter: ${display}`) throw new Error(`${tag}: the picker says "${picker.placeholder}", expected ${interpreter}`);
}
