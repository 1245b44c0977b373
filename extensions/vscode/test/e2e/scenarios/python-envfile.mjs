// The dev shell as python.envFile: with the real Python extension installed, what it gives a
// run (`environments.getEnvironmentVariables(folder)`, as the test-only reporter asks it) holds
// the dev shell's variables, a multi-line value with quotes and a dollar sign intact.
import { join } from 'node:path';
import { log, pythonFlake, shared, trustAndWait, until } from '../harness.mjs';

// A value with a newline, quotes, a `$` and a `${…}` (escaped in Nix: the text is literal).
const FLAKE = pythonFlake({ extra: 'env.MULTILINE = "first line\\nsecond \\"quoted\\" $x \\${HOME}";' });

export const setup = {
  folders: [{ name: 'project', flake: FLAKE }],
  extensions: [join(shared, 'vendor/ms-python-linux-x64.vsix')],
  reporter: true,
};

export async function run(h) {
  await trustAndWait(h);
  const report = await until('the Python extension to give runs the dev shell', 120000, async () => {
    const r = await h.report();
    log(`python.envFile=${r.folders[0]?.pythonEnvFile} GREETING=${r.folders[0]?.envVars?.GREETING}`);
    return r.folders[0]?.envVars?.GREETING === 'hello' ? r : undefined;
  }, 3000);
  await h.shot('envfile');
  const folder = report.folders[0];
  log(`MULTILINE=${JSON.stringify(folder.envVarsMultiline)}`);
  if (folder.envVarsMultiline !== 'first line\nsecond "quoted" $x ${HOME}') {
    throw new Error(`MULTILINE is ${JSON.stringify(folder.envVarsMultiline)}`);
  }
  if (folder.pythonEnvFile?.startsWith(h.project)) throw new Error(`python.envFile ${folder.pythonEnvFile} is inside the workspace`);
}
