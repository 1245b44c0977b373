// Two folders in one window (a .code-workspace), each with its own flake: each folder's
// terminals get that folder's dev shell (its VIRTUAL_ENV, its GREETING, its python) and
// nothing of the other's, and each folder's interpreter is its own.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { log, pythonFlake, until, waitForStatus } from '../harness.mjs';

export const setup = {
  folders: [
    { name: 'alpha', flake: pythonFlake({ greeting: 'alpha' }) },
    { name: 'beta', flake: pythonFlake({ greeting: 'beta' }) },
  ],
};

export async function run(h) {
  const trust = h.page.getByRole('button', { name: /Yes, I trust the authors/i });
  await trust.waitFor({ state: 'visible', timeout: 60000 });
  await trust.click();
  await waitForStatus(h, /nix: default · Python \d/);
  // Both flakes realised: the extension logs each folder's environment.
  await until('both folders ready', 600000, () => {
    const text = h.outputLog();
    return h.folders.every((f) => text.includes(`environment: ready for ${f}`));
  }, 1000);
  await h.shot('ready');
  const failures = [];
  for (const [index, name] of [[1, 'beta'], [0, 'alpha']]) {
    const folder = h.folders[index];
    await h.newTerminal({ folder: name });
    const [python, virtualEnv, greeting, cwd] = await h.runInTerminal(
      `${name}.txt`,
      `sh -c 'command -v python; echo "$VIRTUAL_ENV"; echo "$GREETING"; pwd'`,
    );
    await h.shot(`terminal-${name}`);
    log(`${name}: python=${python} VIRTUAL_ENV=${virtualEnv} GREETING=${greeting} cwd=${cwd}`);
    const venv = join(folder, '.venv');
    if (cwd !== folder) failures.push(`${name}: the terminal is in ${cwd}, expected ${folder}`);
    if (greeting !== name) failures.push(`${name}: GREETING is ${greeting}`);
    if (virtualEnv !== venv) failures.push(`${name}: VIRTUAL_ENV is ${virtualEnv}, expected ${venv}`);
    if (!python?.startsWith(venv + '/')) failures.push(`${name}: python is ${python}, expected inside ${venv}`);
    // No Python extension here: the folder's own settings name its own interpreter.
    const settings = JSON.parse(readFileSync(join(folder, '.vscode/settings.json'), 'utf8'));
    const interpreter = settings['python.defaultInterpreterPath'];
    log(`${name}: python.defaultInterpreterPath = ${interpreter}`);
    if (interpreter !== join(venv, 'bin/python')) failures.push(`${name}: interpreter ${interpreter}, expected ${venv}/bin/python`);
  }
  if (failures.length > 0) throw new Error(failures.join('\n'));
}
