// A choice made by hand stays: the Python extension, a venv flake and no user setting. Once our
// selection of the .venv settled, the user picks /usr/bin/python3 in the real picker ("Enter
// interpreter path..."). It stays in use, after a reload too, and flake-lsp's status tooltip
// says "Python: /usr/bin/python3 (chosen by hand; the dev shell offers …/.venv/bin/python)".
import { join } from 'node:path';
import { log, pythonFlake, trustAndWait, until, waitForStatus } from '../harness.mjs';
import {
  MAIN_PY,
  MS_PYTHON,
  expectPythonExtensionUses,
  flakeStatusTooltip,
  folderReport,
  openFile,
  pickInterpreterByHand,
  waitForPythonStatus,
} from '../python.mjs';

export const setup = {
  folders: [{ name: 'project', flake: pythonFlake(), files: MAIN_PY }],
  extensions: [MS_PYTHON],
  reporter: true,
};

const MINE = '/usr/bin/python3';

async function expectKept(h, venvPython, tag) {
  const api = async () => folderReport(await h.report(), h.project).activeEnvironmentPath;
  let seen;
  await until(`the Python extension's API to report ${MINE}`, 60000, async () => (seen = await api()) === MINE, 2000).catch((e) => {
    throw new Error(`${e.message}; it reports ${seen}`);
  });
  const expected = `Python: ${MINE} (chosen by hand; the dev shell offers ${venvPython})`;
  let tooltip;
  await until('flake-lsp\'s tooltip to say "chosen by hand"', 30000, async () => (tooltip = await flakeStatusTooltip(h.page)).includes(expected), 2000).catch((e) => {
    throw new Error(`${e.message}; it says: ${tooltip}`);
  });
  log(`${tag}: flake-lsp tooltip: ${tooltip}`);
  await openFile(h.page, 'main.py');
  const item = await waitForPythonStatus(h.page, MINE);
  log(`${tag}: Python status item ${JSON.stringify(item)}`);
  await h.shot(`${tag}-kept`);
}

export async function run(h) {
  const venvPython = join(h.project, '.venv/bin/python');
  log(`ready: ${await trustAndWait(h)}`);
  await expectPythonExtensionUses(h, venvPython, 'ours');
  await pickInterpreterByHand(h.page, MINE);
  await h.shot('picked');
  await expectKept(h, venvPython, 'picked');
  await h.reload();
  log(`after reload: ${await waitForStatus(h, /nix: default · Python \d/)}`);
  await h.page.waitForTimeout(10000); // had we selected ours again, it would show by now
  await expectKept(h, venvPython, 'reloaded');
  log(h.outputLog().split('\n').filter((l) => l.startsWith('Python:')).join('\n'));
  return true;
}
