// End-to-end test in a real VS Code (code-server 4.100.3 = VS Code 1.100.3) driven by Debian's
// Chromium through playwright-core, with real Nix and the fixture nixpkgs.
//
//   node test/e2e/run.mjs [--vsix FILE] [--out DIR] [--keep]
//
// Installs the .vsix into a code-server with its own user-data and extensions directories,
// opens a fixture flake whose shellHook makes a .venv (nixpkgs overridden to
// tests/fixtures/nixpkgs through the workspace setting flakeLsp.environment.overrideInputs),
// checks the untrusted state, trusts the workspace, waits for the status bar to say ready, then:
//   1. a new integrated terminal has $VIRTUAL_ENV and `command -v python` in the fixture's .venv;
//   2. the folder's settings name the venv's interpreter (no Python extension here);
//   3. the "Enter environment" code action on the devShells definition opens a terminal named
//      after the shell, in the flake root, inside the environment.
// Screenshots go to the output directory (default: <repo>/target/vscode-e2e). Every wait is
// bounded; nothing asserts on wall-clock time.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const repo = resolve(here, '../..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const vsix = resolve(arg('--vsix', process.env.FLAKE_LSP_VSIX ?? join(here, 'flake-lsp-linux-x64.vsix')));
const out = resolve(arg('--out', process.env.FLAKE_LSP_E2E_OUT ?? join(repo, 'target/vscode-e2e')));
const keep = process.argv.includes('--keep');
const codeServer = process.env.CODE_SERVER_ENTRY ?? '/opt/code-server/node_modules/code-server/out/node/entry.js';
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const READY_TIMEOUT = Number(process.env.FLAKE_LSP_E2E_READY_TIMEOUT ?? 900) * 1000;

const FLAKE = `{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";
  outputs = { self, nixpkgs }:
    let pkgs = nixpkgs.legacyPackages.x86_64-linux;
    in {
      devShells.x86_64-linux.default = pkgs.mkShell {
        packages = [ pkgs.python311 ];
        env.GREETING = "hello";
        shellHook = ''
          test -d .venv || python3 -m venv --without-pip .venv
          source .venv/bin/activate
        '';
      };
    };
}
`;

const log = (...a) => console.log('e2e:', ...a);
let step = 0;
async function shot(page, name) {
  const file = join(out, `${String(++step).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file }).catch((e) => log(`screenshot ${name} failed: ${e.message}`));
  log(`screenshot ${file}`);
}

/** Polls `check` until it returns a truthy value, at most `ms`; throws with `what` otherwise. */
async function until(what, ms, check, every = 500) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
    srv.on('error', rej);
  });
}

function git(cwd, ...args) {
  execFileSync('git', args, { cwd, stdio: 'ignore', timeout: 60000 });
}

/** Text of the flake-lsp status bar item ('' when absent). */
async function statusText(page) {
  const items = page.locator('.statusbar-item').filter({ hasText: /^\s*(nix|flake-lsp)\b/ });
  const n = await items.count();
  for (let i = 0; i < n; i++) {
    const t = (await items.nth(i).innerText()).trim();
    if (/^(nix|flake-lsp)/.test(t)) return t;
  }
  return '';
}

async function commandPalette(page, command) {
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 15000 });
  await input.fill(`>${command}`);
  const row = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: command }).first();
  await row.waitFor({ state: 'visible', timeout: 15000 });
  await row.click();
}

/** Types a command into the focused terminal; its output goes to files we read. */
async function typeInTerminal(page, text) {
  const terminal = page.locator('.terminal-wrapper.active .xterm, .terminal .xterm').last();
  await terminal.waitFor({ state: 'visible', timeout: 30000 });
  await terminal.click();
  await page.keyboard.type(text, { delay: 5 });
  await page.keyboard.press('Enter');
}

async function main() {
  if (!existsSync(vsix)) throw new Error(`no ${vsix}: run \`npm run package\` first`);
  if (!existsSync(codeServer)) throw new Error(`no code-server at ${codeServer}: run ../shared/tools/install-code-server.sh`);
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(out)) if (f.endsWith('.png')) rmSync(join(out, f)); // this run's only
  const tmp = realpathSync(mkdtempSync(join(tmpdir(), 'flake-lsp-vscode-e2e-')));
  const dirs = Object.fromEntries(
    ['user', 'extensions', 'home', 'cache', 'data', 'config', 'project', 'results'].map((d) => [d, join(tmp, d)]),
  );
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  const project = dirs.project;

  // The fixture: a flake in a git repository, its nixpkgs overridden to the fixture.
  writeFileSync(join(project, 'flake.nix'), FLAKE);
  mkdirSync(join(project, '.vscode'));
  const settingsFile = join(project, '.vscode/settings.json');
  writeFileSync(
    settingsFile,
    JSON.stringify(
      { 'flakeLsp.environment.overrideInputs': { nixpkgs: `path:${join(repo, 'tests/fixtures/nixpkgs')}` } },
      null,
      4,
    ) + '\n',
  );
  git(project, 'init', '-q');
  git(project, 'add', '-A');

  // The user's settings: a quiet workbench, bash in terminals; Workspace Trust as shipped.
  mkdirSync(join(dirs.user, 'User'), { recursive: true });
  writeFileSync(
    join(dirs.user, 'User/settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.enableExperiments': false,
        'extensions.ignoreRecommendations': true,
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
        'security.workspace.trust.startupPrompt': 'always',
        'terminal.integrated.defaultProfile.linux': 'bash',
        'terminal.integrated.enablePersistentSessions': false,
        'terminal.integrated.shellIntegration.enabled': false,
        'git.enabled': false,
      },
      null,
      2,
    ),
  );
  const env = {
    ...process.env,
    HOME: dirs.home,
    XDG_CACHE_HOME: dirs.cache,
    XDG_DATA_HOME: dirs.data,
    XDG_CONFIG_HOME: dirs.config,
    PIP_NO_INDEX: '1',
    SHELL: '/bin/bash',
    FLAKE_LSP_LOG: 'info',
  };
  // Only the code-server we install into and start, nothing of the user's.
  const base = ['--user-data-dir', dirs.user, '--extensions-dir', dirs.extensions];
  log(`installing ${vsix}`);
  execFileSync(process.execPath, [codeServer, ...base, '--install-extension', vsix], { env, stdio: 'inherit', timeout: 300000 });

  const port = await freePort();
  const serverLog = join(out, 'code-server.log');
  const logFd = openSync(serverLog, 'w');
  const server = spawn(
    process.execPath,
    [codeServer, ...base, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check', project],
    { env, stdio: ['ignore', logFd, logFd], detached: true },
  );
  let browser;
  const stop = async () => {
    await browser?.close().catch(() => undefined);
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  };
  try {
    await until('code-server to listen', 60000, async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok);
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(project)}`);
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 120000 });
    log('workbench loaded');
    const result = await run(page, { project, results: dirs.results, settingsFile, user: dirs.user });
    await shot(page, 'done');
    return result;
  } catch (e) {
    const pages = browser?.contexts().flatMap((c) => c.pages()) ?? [];
    if (pages[0]) await shot(pages[0], 'failure');
    throw e;
  } finally {
    await stop();
    collectLogs(dirs.user);
    if (!keep) rmSync(tmp, { recursive: true, force: true });
    else log(`kept ${tmp}`);
  }
}

/** Copies the extension host's logs (the server's output among them) next to the screenshots. */
function collectLogs(user) {
  try {
    const found = execFileSync('find', [join(user, 'logs'), '-name', '*.log', '-path', '*exthost*'], { encoding: 'utf8' });
    const lines = found.split('\n').filter(Boolean);
    const text = lines.map((f) => `==> ${f}\n${readFileSync(f, 'utf8')}`).join('\n');
    writeFileSync(join(out, 'exthost.log'), text);
    log(`extension host logs: ${join(out, 'exthost.log')}`);
  } catch (e) {
    log(`no extension host logs: ${e.message}`);
  }
}

/** The flake-lsp output channel, as VS Code logs it. */
function outputLog(user) {
  const files = execFileSync('find', [join(user, 'logs'), '-name', '*flake-lsp.log', '-path', '*output_logging*'], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  return files.map((f) => readFileSync(f, 'utf8')).join('\n');
}

async function run(page, { project, results, settingsFile, user }) {
  // Untrusted first: language features only, the status bar says so.
  const trustButton = page.getByRole('button', { name: /Yes, I trust the authors/i });
  await trustButton.waitFor({ state: 'visible', timeout: 60000 });
  await until('the status bar to say untrusted', 60000, async () => /untrusted/.test(await statusText(page)));
  await shot(page, 'untrusted');
  log(`before trust: ${await statusText(page)}`);
  await trustButton.click();
  // Evidence, not an assertion (realising may be over before it shows): the cancellable
  // progress notification.
  const toast = page.locator('.notification-toast').filter({ hasText: /Realising the dev shell/ });
  const sawProgress = await toast.first().waitFor({ state: 'visible', timeout: 5000 }).then(() => true, () => false);
  if (sawProgress) await shot(page, 'realising');
  log(`progress notification seen: ${sawProgress}`);

  // Trusting enables the environment without a reload.
  let last = '';
  const ready = await until(
    'the status bar to say ready',
    READY_TIMEOUT,
    async () => {
      const t = await statusText(page);
      if (t !== last) {
        log(`status: ${t}`);
        last = t;
      }
      return /nix: default · Python \d/.test(t) ? t : undefined;
    },
    1000,
  );
  log(`ready: ${ready}`);
  await shot(page, 'ready');

  // 1. A new terminal is inside the environment.
  const venv = join(project, '.venv');
  const first = join(results, 'terminal.txt');
  await commandPalette(page, 'Terminal: Create New Terminal');
  await until('a terminal', 30000, () => page.locator('.xterm').first().isVisible());
  await page.waitForTimeout(1000); // let the shell print its prompt before typing
  await typeInTerminal(page, `{ echo "$VIRTUAL_ENV"; command -v python; } > ${first}.tmp && mv ${first}.tmp ${first}`);
  const lines = await until('the terminal to write its file', 60000, () =>
    existsSync(first) ? readFileSync(first, 'utf8').trim().split('\n') : undefined,
  );
  await shot(page, 'terminal');
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
  const line = FLAKE.split('\n').findIndex((l) => l.includes('devShells')) + 1;
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
  await shot(page, 'code-action');
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
  const second = join(results, 'enter.txt');
  await typeInTerminal(page, `{ echo "$GREETING"; pwd; echo "$VIRTUAL_ENV"; } > ${second}.tmp && mv ${second}.tmp ${second}`);
  const entered = await until('the environment terminal to write its file', 60000, () =>
    existsSync(second) ? readFileSync(second, 'utf8').trim().split('\n') : undefined,
  );
  await shot(page, 'enter-environment');
  log(`enter environment: GREETING=${entered[0]} cwd=${entered[1]} VIRTUAL_ENV=${entered[2]}`);
  if (entered[0] !== 'hello') throw new Error(`GREETING is ${entered[0]} in the environment terminal`);
  if (entered[1] !== project) throw new Error(`the environment terminal is in ${entered[1]}, expected ${project}`);
  if (entered[2] !== venv) throw new Error(`VIRTUAL_ENV is ${entered[2]} in the environment terminal`);

  // 4. The status bar item's menu: "Reload environment" realises again and comes back ready.
  await page.locator('.statusbar-item').filter({ hasText: /^\s*nix: default/ }).first().click();
  const reload = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'Reload environment' }).first();
  await reload.waitFor({ state: 'visible', timeout: 15000 });
  await shot(page, 'menu');
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
    const n = (outputLog(user).match(/progress: Realising the dev shell/g) ?? []).length;
    return n >= 2 ? n : undefined;
  });
  log(`realisations in the extension output: ${realisations}`);
  log(`after reload: ${seen.join(' → ')}`);
  return true;
}

// A last bound on the whole run, whatever hangs.
setTimeout(() => {
  console.error('e2e: FAIL: the whole run took too long');
  process.exit(1);
}, READY_TIMEOUT + 15 * 60 * 1000).unref();

main().then(
  () => {
    log('PASS');
    process.exit(0);
  },
  (e) => {
    console.error(`e2e: FAIL: ${e.stack ?? e}`);
    process.exit(1);
  },
);
