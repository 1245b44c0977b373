// Both Python extensions with "python.useEnvironmentsExtension": true: the Python Environments
// extension (ms-python.vscode-python-envs) decides the interpreter. With a flake whose Python is
// the dev shell's store Python (no venv: a workspace .venv that extension finds by itself), the
// folder's environment (its API's getEnvironment(folder), and its Python status item) is that
// store Python; still after a reload.
import { basename, dirname } from 'node:path';
import { log, pythonFlake, trustAndWait, until, waitForStatus } from '../harness.mjs';
import { MAIN_PY, MS_PYTHON, MS_PYTHON_ENVS, folderReport, offeredInterpreter, openFile, pythonStatusItem, shown } from '../python.mjs';

export const setup = {
  folders: [{ name: 'project', flake: pythonFlake({ venv: false }), files: MAIN_PY }],
  user: { 'python.defaultInterpreterPath': '/usr/bin/python3', 'python.useEnvironmentsExtension': true },
  extensions: [MS_PYTHON, MS_PYTHON_ENVS],
  reporter: true,
};

/**
 * Whether `executable` is `interpreter` under another of its names: the extension names the
 * store's `bin/python3` by its environment's `bin/python`, in the same directory. (Not the
 * same file by realpath: the fixture's Python links to the system's, as /bin/python3 does.)
 */
const same = (executable, interpreter) =>
  typeof executable === 'string' && (executable === interpreter || (dirname(executable) === dirname(interpreter) && /^python[\d.]*$/.test(basename(executable))));

async function expectEnvironment(h, interpreter, tag) {
  const executable = async () => {
    const entry = folderReport(await h.report(), h.project);
    return entry.envsEnvironment?.executable ?? entry.envsError ?? JSON.stringify(entry);
  };
  let seen;
  await until(`the Environments API to report ${interpreter}`, 120000, async () => same((seen = await executable()), interpreter), 3000).catch(async (e) => {
    throw new Error(`${e.message}; it reports ${seen}; events ${JSON.stringify((await h.report()).events)}`);
  });
  await h.page.waitForTimeout(10000); // a late overwrite would show now
  const later = await h.report();
  log(`${tag}: ${JSON.stringify(folderReport(later, h.project))} events ${JSON.stringify(later.events)}`);
  const still = folderReport(later, h.project).envsEnvironment?.executable;
  if (!same(still, interpreter)) throw new Error(`${tag}: the folder's environment went back to ${still}`);
  await openFile(h.page, 'main.py');
  log(`${tag}: the folder's environment runs ${still}, the same Python as ${interpreter}`);
  const display = shown(still, h.project);
  let item;
  await until(`the Python status item to show ${display}`, 60000, async () => {
    item = await pythonStatusItem(h.page);
    return item && [item.tooltip, item.aria].some((t) => t.includes(display) || t.includes(interpreter));
  }, 2000).catch((e) => {
    throw new Error(`${e.message}; last seen: ${JSON.stringify(item)}`);
  });
  log(`${tag}: Python status item ${JSON.stringify(item)}`);
  await h.shot(`${tag}-python-status`);
}

export async function run(h) {
  log(`ready: ${await trustAndWait(h)}`);
  const storePython = await offeredInterpreter(h.page);
  log(`the dev shell offers ${storePython}`);
  await h.shot('ready');
  await expectEnvironment(h, storePython, 'first');
  await h.reload();
  log(`after reload: ${await waitForStatus(h, /nix: default · Python \d/)}`);
  await expectEnvironment(h, storePython, 'reloaded');
  return true;
}
