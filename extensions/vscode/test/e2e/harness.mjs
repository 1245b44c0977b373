// What the end-to-end scenarios share: a real VS Code (code-server 4.100.3 = VS Code 1.100.3)
// with its own HOME, user settings and extensions, driven by Debian's Chromium through
// playwright-core, with real Nix and the fixture nixpkgs.
//
// A scenario (test/e2e/scenarios/*.mjs) exports `setup` (what to build: folders with flakes,
// the user's rc files and settings, other extensions) and `run(h)`, which gets the page and the
// helpers below. Every wait is bounded; nothing asserts on wall-clock time.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const here = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const repo = resolve(here, '../..');
export const shared = resolve(process.env.FLAKE_LSP_SHARED ?? join(repo, '../shared'));
export const fixtureNixpkgs = join(repo, 'tests/fixtures/nixpkgs');
const codeServer = process.env.CODE_SERVER_ENTRY ?? '/opt/code-server/node_modules/code-server/out/node/entry.js';
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const READY_TIMEOUT = Number(process.env.FLAKE_LSP_E2E_READY_TIMEOUT ?? 900) * 1000;

/**
 * A flake whose dev shell has Python 3.11, `GREETING` (or `greeting`), with `venv` a .venv, and
 * `extra` (Nix bindings of the mkShell, e.g. more `env.` variables).
 */
export function pythonFlake({ greeting = 'hello', venv = true, extra = '' } = {}) {
  const hook = venv
    ? `shellHook = ''
          test -d .venv || python3 -m venv --without-pip .venv
          source .venv/bin/activate
        '';`
    : '';
  return `{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";
  outputs = { self, nixpkgs }:
    let pkgs = nixpkgs.legacyPackages.x86_64-linux;
    in {
      devShells.x86_64-linux.default = pkgs.mkShell {
        packages = [ pkgs.python311 ];
        env.GREETING = "${greeting}";
        ${extra}
        ${hook}
      };
    };
}
`;
}

/** The user settings every scenario starts from: a quiet workbench, bash in terminals. */
export const QUIET_USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'security.workspace.trust.startupPrompt': 'always',
  'terminal.integrated.defaultProfile.linux': 'bash',
  'terminal.integrated.enablePersistentSessions': false,
  'git.enabled': false,
};

export const log = (...a) => console.log('e2e:', ...a);

/** Polls `check` until it returns a truthy value, at most `ms`; throws with `what` otherwise. */
export async function until(what, ms, check, every = 500) {
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

export function git(cwd, ...args) {
  execFileSync('git', args, { cwd, stdio: 'ignore', timeout: 60000 });
}

/** Text of the flake-lsp status bar item ('' when absent). */
export async function statusText(page) {
  const items = page.locator('.statusbar-item').filter({ hasText: /^\s*(nix|flake-lsp)\b/ });
  const n = await items.count();
  for (let i = 0; i < n; i++) {
    const t = (await items.nth(i).innerText()).trim();
    if (/^(nix|flake-lsp)/.test(t)) return t;
  }
  return '';
}

export async function commandPalette(page, command) {
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 15000 });
  await input.fill(`>${command}`);
  const row = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: command }).first();
  await row.waitFor({ state: 'visible', timeout: 15000 });
  await row.click();
}

/** Types a command into the focused terminal. */
export async function typeInTerminal(page, text) {
  const terminal = page.locator('.terminal-wrapper.active .xterm, .terminal .xterm').last();
  await terminal.waitFor({ state: 'visible', timeout: 30000 });
  await terminal.click();
  await page.keyboard.type(text, { delay: 5 });
  await page.keyboard.press('Enter');
}

/**
 * Runs `command` (a POSIX-and-fish compatible line) in the focused terminal with its output
 * going to `file`, and returns the file's lines. The output goes to a file, not the screen,
 * because the terminal's text is not in the DOM.
 */
export async function runInTerminal(page, file, command, ms = 60000) {
  rmSync(file, { force: true });
  await typeInTerminal(page, `${command} > ${file}.tmp; mv ${file}.tmp ${file}`);
  return until(`the terminal to write ${file}`, ms, () => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : undefined));
}

/** The flake-lsp output channel (or another: `name`), as VS Code logs it. */
export function outputLog(user, name = 'flake-lsp') {
  let found = '';
  try {
    found = execFileSync('find', [join(user, 'logs'), '-name', `*${name}.log`, '-path', '*output_logging*'], { encoding: 'utf8' });
  } catch {
    return '';
  }
  return found
    .split('\n')
    .filter(Boolean)
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
}

/** Trusts the workspace and waits for the status bar to match `ready` (a RegExp). */
export async function trustAndWait(h, ready = /nix: default · Python \d/) {
  const { page } = h;
  const trustButton = page.getByRole('button', { name: /Yes, I trust the authors/i });
  await trustButton.waitFor({ state: 'visible', timeout: 60000 });
  await trustButton.click();
  return waitForStatus(h, ready);
}

export async function waitForStatus({ page }, ready) {
  let last = '';
  return until(
    `the status bar to match ${ready}`,
    READY_TIMEOUT,
    async () => {
      const t = await statusText(page);
      if (t !== last) {
        log(`status: ${t}`);
        last = t;
      }
      return ready.test(t) ? t : undefined;
    },
    1000,
  );
}

/**
 * Builds what `setup` asks for in a new temporary directory, starts code-server on it, opens
 * the workspace in Chromium and calls `run(h)`. `setup`:
 * - `folders`: [{ name, flake, settings, files }] made into git repositories; one folder is
 *   opened as it is, several through a .code-workspace file (multi-root);
 * - `home`: files of the user's HOME, e.g. `{ '.bashrc': '…' }`;
 * - `user`: user settings over QUIET_USER_SETTINGS;
 * - `extensions`: other .vsix files to install;
 * - `env`: variables for code-server and all it starts, or a function of the directories
 *   (`dirs.home`, `dirs.results`, …) returning them;
 * - `reporter`: true to install test/e2e/reporter, whose command "flake-lsp tests: Report"
 *   writes what other extensions see to <results>/report.json (read it with `h.report()`).
 */
export async function withCodeServer(name, vsix, out, setup, run, { keep = false } = {}) {
  if (!existsSync(vsix)) throw new Error(`no ${vsix}: run \`npm run package\` first`);
  if (!existsSync(codeServer)) throw new Error(`no code-server at ${codeServer}: run ../shared/tools/install-code-server.sh`);
  const shots = join(out, name);
  mkdirSync(shots, { recursive: true });
  for (const f of readdirSync(shots)) if (f.endsWith('.png')) rmSync(join(shots, f)); // this run's only
  const tmp = realpathSync(mkdtempSync(join(tmpdir(), `flake-lsp-vscode-e2e-${name}-`)));
  const dirs = Object.fromEntries(['user', 'extensions', 'home', 'cache', 'data', 'results'].map((d) => [d, join(tmp, d)]));
  dirs.config = join(dirs.home, '.config'); // where fish and others look, as on a user's machine
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });

  const folders = [];
  for (const folder of setup.folders ?? []) {
    const dir = join(tmp, folder.name ?? 'project');
    mkdirSync(join(dir, '.vscode'), { recursive: true });
    if (folder.flake) writeFileSync(join(dir, 'flake.nix'), folder.flake);
    const settings = { 'flakeLsp.environment.overrideInputs': { nixpkgs: `path:${fixtureNixpkgs}` }, ...(folder.settings ?? {}) };
    writeFileSync(join(dir, '.vscode/settings.json'), JSON.stringify(settings, null, 4) + '\n');
    for (const [file, text] of Object.entries(folder.files ?? {})) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), text);
    }
    git(dir, 'init', '-q');
    git(dir, 'add', '-A');
    folders.push(dir);
  }
  let target = folders[0];
  if (folders.length > 1) {
    target = join(tmp, `${name}.code-workspace`);
    // Window-scoped settings (flakeLsp.environment.*) of a multi-root workspace live here,
    // not in the folders' settings.
    const settings = { 'flakeLsp.environment.overrideInputs': { nixpkgs: `path:${fixtureNixpkgs}` }, ...(setup.workspaceSettings ?? {}) };
    writeFileSync(target, JSON.stringify({ folders: folders.map((path) => ({ path })), settings }, null, 2));
  }
  for (const [file, text] of Object.entries(setup.home ?? {})) {
    mkdirSync(dirname(join(dirs.home, file)), { recursive: true });
    writeFileSync(join(dirs.home, file), text, { mode: text.startsWith('#!') ? 0o755 : 0o644 });
  }
  mkdirSync(join(dirs.user, 'User'), { recursive: true });
  writeFileSync(join(dirs.user, 'User/settings.json'), JSON.stringify({ ...QUIET_USER_SETTINGS, ...(setup.user ?? {}) }, null, 2));
  const env = {
    ...process.env,
    HOME: dirs.home,
    XDG_CACHE_HOME: dirs.cache,
    XDG_DATA_HOME: dirs.data,
    XDG_CONFIG_HOME: dirs.config,
    PIP_NO_INDEX: '1',
    SHELL: '/bin/bash',
    FLAKE_LSP_LOG: 'info',
    FLAKE_LSP_E2E_RESULTS: dirs.results,
    ...(typeof setup.env === 'function' ? setup.env(dirs) : (setup.env ?? {})),
  };
  const base = ['--user-data-dir', dirs.user, '--extensions-dir', dirs.extensions];
  const extensions = [...(setup.extensions ?? []), vsix];
  if (setup.reporter) extensions.push(packReporter(tmp));
  for (const ext of extensions) {
    log(`${name}: installing ${ext}`);
    execFileSync(process.execPath, [codeServer, ...base, '--install-extension', ext], { env, stdio: 'inherit', timeout: 300000 });
  }

  const port = await freePort();
  const logFd = openSync(join(shots, 'code-server.log'), 'w');
  const server = spawn(
    process.execPath,
    [codeServer, ...base, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check', target],
    { env, stdio: ['ignore', logFd, logFd], detached: true },
  );
  let browser;
  let step = 0;
  const h = {
    name,
    dirs,
    folders,
    project: folders[0],
    env,
    page: undefined,
    url: `http://127.0.0.1:${port}/?${folders.length > 1 ? 'workspace' : 'folder'}=${encodeURIComponent(target)}`,
    async shot(what) {
      const file = join(shots, `${String(++step).padStart(2, '0')}-${what}.png`);
      await h.page.screenshot({ path: file }).catch((e) => log(`screenshot ${what} failed: ${e.message}`));
      log(`screenshot ${file}`);
    },
    statusText: () => statusText(h.page),
    commandPalette: (command) => commandPalette(h.page, command),
    runInTerminal: (file, command, ms) => runInTerminal(h.page, join(dirs.results, file), command, ms),
    outputLog: (channel) => outputLog(dirs.user, channel),
    /** Runs the reporter's command and returns what it wrote. */
    async report() {
      const file = join(dirs.results, 'report.json');
      rmSync(file, { force: true });
      await commandPalette(h.page, 'flake-lsp tests: Report');
      return until('the reporter to write report.json', 60000, () => (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined));
    },
    /** Reloads the window (the extension host starts again) and waits for the workbench. */
    async reload() {
      await h.page.reload();
      await h.page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 120000 });
    },
    /**
     * Opens a new terminal (in `folder` when the workspace has several; with the terminal
     * profile named `profile`, else the default one) and lets it start.
     */
    async newTerminal({ folder, profile } = {}) {
      if (profile) {
        await commandPalette(h.page, 'Create New Terminal (With Profile)');
        const input = h.page.locator('.quick-input-widget input');
        await input.fill(profile);
        const rows = h.page.locator('.quick-input-list .monaco-list-row');
        await until(`the terminal profile ${profile}`, 15000, async () => {
          for (let i = 0; i < (await rows.count()); i++) {
            const label = (await rows.nth(i).locator('.label-name').first().innerText().catch(() => '')).trim();
            if (label === profile) {
              await rows.nth(i).click();
              return true;
            }
          }
          return false;
        });
      } else {
        await commandPalette(h.page, 'Terminal: Create New Terminal');
      }
      if (folder !== undefined) {
        // Multi-root: VS Code asks for the folder the terminal starts in.
        const row = h.page.locator('.quick-input-list .monaco-list-row').filter({ hasText: folder }).first();
        await row.waitFor({ state: 'visible', timeout: 15000 });
        await row.click();
      }
      await until('a terminal', 30000, async () => (await h.page.locator('.xterm:visible').count()) > 0);
      await h.page.waitForTimeout(1500); // let the shell print its prompt before typing
    },
  };
  try {
    await until('code-server to listen', 60000, async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok);
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    h.page = await context.newPage();
    await h.page.goto(h.url);
    await h.page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 120000 });
    log(`${name}: workbench loaded`);
    const result = await run(h);
    await h.shot('done');
    return result;
  } catch (e) {
    if (h.page) await h.shot('failure');
    throw e;
  } finally {
    await browser?.close().catch(() => undefined);
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    collectLogs(dirs.user, shots);
    if (!keep) rmSync(tmp, { recursive: true, force: true });
    else log(`kept ${tmp}`);
  }
}

/** test/e2e/reporter as a .vsix in `dir`. */
function packReporter(dir) {
  const file = join(dir, 'reporter.vsix');
  const vsce = join(here, 'node_modules/@vscode/vsce/vsce');
  execFileSync(process.execPath, [vsce, 'package', '--allow-missing-repository', '--skip-license', '--no-dependencies', '-o', file], {
    cwd: join(here, 'test/e2e/reporter'),
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 120000,
  });
  return file;
}

/** Copies the extension host's logs (the server's output among them) next to the screenshots. */
function collectLogs(user, shots) {
  try {
    const found = execFileSync('find', [join(user, 'logs'), '-name', '*.log'], { encoding: 'utf8' });
    const lines = found.split('\n').filter((f) => f && (f.includes('exthost') || f.includes('output_logging')));
    const text = lines.map((f) => `==> ${f}\n${readFileSync(f, 'utf8')}`).join('\n');
    writeFileSync(join(shots, 'exthost.log'), text);
    log(`extension host logs: ${join(shots, 'exthost.log')}`);
  } catch (e) {
    log(`no extension host logs: ${e.message}`);
  }
}
