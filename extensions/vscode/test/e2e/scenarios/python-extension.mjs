// The Python extension (ms-python.python) with a user-level python.defaultInterpreterPath and a
// flake whose shellHook makes .venv: the interpreter in use is the venv's, by the API, the
// Python status item and the interpreter picker; and still after reloading the window (the
// extension's first-run migration of the user setting must not win, nor be taken for a choice
// made by hand).
import { join } from 'node:path';
import { log, pythonFlake, trustAndWait, waitForStatus } from '../harness.mjs';
import { MAIN_PY, MS_PYTHON, expectPythonExtensionUses } from '../python.mjs';

export const setup = {
  folders: [{ name: 'project', flake: pythonFlake(), files: MAIN_PY }],
  user: { 'python.defaultInterpreterPath': '/usr/bin/python3' },
  extensions: [MS_PYTHON],
  reporter: true,
};

export async function run(h) {
  const venvPython = join(h.project, '.venv/bin/python');
  log(`ready: ${await trustAndWait(h)}`);
  await h.shot('ready');
  await expectPythonExtensionUses(h, venvPython, 'first');
  await h.reload();
  log(`after reload: ${await waitForStatus(h, /nix: default · Python \d/)}`);
  await expectPythonExtensionUses(h, venvPython, 'reloaded');
  log(h.outputLog().split('\n').filter((l) => l.includes('Python')).join('\n'));
  return true;
}
