// Test-only extension (installed by the end-to-end scenarios that ask for it): the command
// "flake-lsp tests: Report" writes, as JSON to $FLAKE_LSP_E2E_RESULTS/report.json, what any other
// extension sees: the extension host's process.env (a few variables), and per workspace folder
// what the Python extension and the Python Environments extension (when installed) report.
const vscode = require('vscode');
const fs = require('fs');
const path = require('path');

const pick = (env) => ({ GREETING: env.GREETING, VIRTUAL_ENV: env.VIRTUAL_ENV, PATH: env.PATH });

async function pythonApi() {
  const ext = vscode.extensions.getExtension('ms-python.python');
  if (!ext) return undefined;
  const api = ext.isActive ? ext.exports : await ext.activate();
  if (api.ready) await api.ready;
  return api;
}

async function envsApi() {
  const ext = vscode.extensions.getExtension('ms-python.vscode-python-envs');
  if (!ext) return undefined;
  return ext.isActive ? ext.exports : await ext.activate();
}

// Every change of the selected interpreter either extension announced since the window opened,
// in order: what the scenarios read to tell who selected what.
const events = [];
const since = Date.now();

// Subscribes once an extension is active, without activating it: activating the Python extension
// here, at startup, would change the very timing the scenarios test.
function watch(context) {
  const subscribe = {
    'ms-python.python': (api) =>
      api.environments?.onDidChangeActiveEnvironmentPath?.((e) =>
        events.push({ from: 'python', ms: Date.now() - since, path: e.path, folder: e.resource?.uri?.fsPath ?? e.resource?.fsPath }),
      ),
    'ms-python.vscode-python-envs': (api) =>
      api?.onDidChangeEnvironment?.((e) =>
        events.push({ from: 'envs', ms: Date.now() - since, folder: e.uri?.fsPath, path: e.new?.execInfo?.run?.executable ?? e.new?.environmentPath?.fsPath }),
      ),
  };
  const timer = setInterval(() => {
    for (const [id, sub] of Object.entries(subscribe)) {
      const ext = vscode.extensions.getExtension(id);
      if (!ext) delete subscribe[id];
      else if (ext.isActive) {
        delete subscribe[id];
        const d = sub(ext.exports);
        if (d) context.subscriptions.push(d);
      }
    }
    if (Object.keys(subscribe).length === 0) clearInterval(timer);
  }, 50);
  context.subscriptions.push({ dispose: () => clearInterval(timer) });
}

async function report() {
  const out = { processEnv: pick(process.env), folders: [], events };
  const python = await pythonApi().catch((e) => ({ error: String(e) }));
  const envs = await envsApi().catch((e) => ({ error: String(e) }));
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const entry = { folder: folder.uri.fsPath };
    entry.pythonEnvFile = vscode.workspace.getConfiguration('python', folder).get('envFile');
    if (python && !python.error) {
      entry.activeEnvironmentPath = python.environments.getActiveEnvironmentPath(folder.uri)?.path;
      const vars = await python.environments.getEnvironmentVariables(folder.uri);
      entry.envVars = pick(vars ?? {});
      entry.envVarsMultiline = vars?.MULTILINE;
    } else if (python) entry.pythonError = python.error;
    if (envs && !envs.error && envs.getEnvironment) {
      const env = await envs.getEnvironment(folder.uri);
      entry.envsEnvironment = env
        ? { displayName: env.displayName, environmentPath: env.environmentPath?.fsPath, executable: env.execInfo?.run?.executable, managerId: env.envId?.managerId }
        : null;
    } else if (envs) entry.envsError = envs.error;
    out.folders.push(entry);
  }
  const dir = process.env.FLAKE_LSP_E2E_RESULTS;
  const file = path.join(dir, 'report.json');
  fs.writeFileSync(file + '.tmp', JSON.stringify(out, null, 2));
  fs.renameSync(file + '.tmp', file);
}

exports.activate = (context) => {
  context.subscriptions.push(vscode.commands.registerCommand('flakeLspTests.report', report));
  watch(context);
};
exports.deactivate = () => {};
