// The Python extension with a user-level python.defaultInterpreterPath and a flake with no venv:
// the interpreter in use is the dev shell's own store Python (/nix/store/…/bin/python3.x, as the
// server reports it), by the API, the Python status item and the picker; still after a reload.
import { log, pythonFlake, trustAndWait, waitForStatus } from '../harness.mjs';
import { MAIN_PY, MS_PYTHON, expectPythonExtensionUses, offeredInterpreter } from '../python.mjs';

export const setup = {
  folders: [{ name: 'project', flake: pythonFlake({ venv: false }), files: MAIN_PY }],
  user: { 'python.defaultInterpreterPath': '/usr/bin/python3' },
  extensions: [MS_PYTHON],
  reporter: true,
};

export async function run(h) {
  log(`ready: ${await trustAndWait(h)}`);
  const storePython = await offeredInterpreter(h.page);
  log(`the dev shell offers ${storePython}`);
  if (!/^\/nix\/store\/[^/]+\/bin\/python3(\.\d+)?$/.test(storePython)) throw new Error(`not a store Python: ${storePython}`);
  await h.shot('ready');
  await expectPythonExtensionUses(h, storePython, 'first');
  await h.reload();
  log(`after reload: ${await waitForStatus(h, /nix: default · Python \d/)}`);
  await expectPythonExtensionUses(h, storePython, 'reloaded');
  return true;
}
