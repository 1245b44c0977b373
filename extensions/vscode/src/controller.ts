// The extension's state and what happens when the server reports: environments go to the
// terminals of their folders, the Python interpreter is selected, the status bar follows.
import { promises as fs } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Hooks, Server } from './client';
import { decideEnvFile, dotenv, envFilePath, folderFile, writeAtomically } from './envfile';
import { Applier, description, usable } from './environment';
import { HostEnvironment } from './extensionHost';
import { Flakes } from './flakes';
import { EnvironmentParams, TerminalSpec } from './protocol';
import {
  envsExtensionTarget,
  InterpreterSelector,
  InterpreterTarget,
  isEnvsApi,
  PythonApi,
  pythonExtensionTarget,
  settingsFileTarget,
  settlesWithin,
} from './python';
import { ServerState, StatusBar, Task } from './status';
import { guardLine, MARKER, ShellKind, shellKind, switchScript } from './switchShell';
import { openEnvironmentTerminal } from './terminal';

const DISTRUSTED = 'flakeLsp.distrusted';
/** The extension-host environment the user last restarted the extensions for. */
const RESTARTED_FOR = 'flakeLsp.extensionHost.restartedFor';

export class Controller implements Hooks {
  readonly flakes = new Flakes();
  readonly server: Server;
  private readonly applier = new Applier(process.env.PATH);
  private readonly selector: InterpreterSelector;
  private readonly status: StatusBar;
  private serverState: ServerState = 'starting';
  private serverError: string | undefined;
  private tasks: Task[] = [];
  private pythonQueue = new Map<string, Promise<unknown>>();
  private envFileQueue = new Map<string, Promise<unknown>>();
  private readonly host = new HostEnvironment(process.env);
  private restartOffered = '';
  /** The workspace folder of the last active editor: whose collection VS Code gives new terminals. */
  private lastActiveFolder: string | undefined;
  private pythonTarget: Promise<InterpreterTarget> | undefined;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.server = new Server(context, this);
    const item = vscode.window.createStatusBarItem('flakeLsp.status', vscode.StatusBarAlignment.Left, 10);
    item.name = 'flake-lsp environment';
    item.command = 'flakeLsp.menu';
    context.subscriptions.push(item, this.server.output);
    this.status = new StatusBar(item, (severity) => new vscode.ThemeColor(`statusBarItem.${severity}Background`));
    this.selector = new InterpreterSelector(
      () => (this.pythonTarget ??= this.interpreterTarget()),
      context.workspaceState,
      (m) => this.server.output.appendLine(m),
      { onDidChangeChoice: () => this.refreshStatus() },
    );
    context.subscriptions.push(this.selector);
  }

  log(message: string): void {
    this.server.output.appendLine(message);
  }

  /** Roots the user distrusted from the menu while the workspace is trusted. */
  distrusted(): string[] {
    return this.context.workspaceState.get<string[]>(DISTRUSTED) ?? [];
  }

  async setDistrusted(root: string, distrusted: boolean): Promise<void> {
    const others = this.distrusted().filter((r) => r !== root);
    await this.context.workspaceState.update(DISTRUSTED, distrusted ? [...others, root] : others);
  }

  settings(): { flakeLsp: Record<string, unknown> } {
    const c = vscode.workspace.getConfiguration('flakeLsp');
    const trusted = vscode.workspace.isTrusted;
    return {
      flakeLsp: {
        environment: {
          // Untrusted workspace: language features only, the environment is off altogether.
          enable: c.get<boolean>('environment.enable', true) && trusted,
          // VS Code's Workspace Trust vouches for the flakes, unless one was distrusted here.
          trusted: trusted && this.distrusted().length === 0,
          shell: c.get<string | null>('environment.shell') ?? null,
          runShellHook: c.get<boolean>('environment.runShellHook', true),
          timeout: c.get<number>('environment.timeout', 600),
          overrideInputs: c.get<Record<string, string>>('environment.overrideInputs', {}),
        },
        eval: {
          maxMemoryMB: c.get<number>('eval.maxMemoryMB', 4096),
          timeout: c.get<number>('eval.timeout', 300),
        },
        diagnostics: { disabled: c.get<string[]>('diagnostics.disabled', []) },
        formatting: { command: c.get<string[] | string | null>('formatting.command') ?? null },
      },
    };
  }

  onEnvironment(env: EnvironmentParams): void {
    this.flakes.set(env);
    for (const folder of this.flakes.foldersOf(env.root)) {
      const wf = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(folder));
      if (!wf) continue;
      const collection = this.context.environmentVariableCollection.getScoped({ workspaceFolder: wf });
      if (this.applier.apply(collection, env, { [MARKER]: folder })) this.log(`environment: ${env.state} for ${folder} (${env.root})`);
      if ((env.state === 'ready' || env.state === 'stale') && env.python) this.selectPython(wf, env);
      if (usable(env)) this.queue(this.envFileQueue, wf, () => this.writeEnvFile(wf, env), 'could not write the env file');
    }
    if (usable(env) && env.root === this.hostRoot()) this.applyToExtensionHost(env);
    if (usable(env) && (vscode.workspace.workspaceFolders?.length ?? 0) > 1) void this.writeSwitchScripts();
    this.refreshStatus();
  }

  /** An editor became active: its folder's collection is what VS Code gives new terminals. */
  noteActiveEditor(editor: vscode.TextEditor | undefined): void {
    const folder = editor ? vscode.workspace.getWorkspaceFolder(editor.document.uri) : undefined;
    if (folder) this.lastActiveFolder = folder.uri.fsPath;
  }

  /** Where the files written for the folders go: the extension's storage, outside the workspace. */
  private storage(): string {
    return (this.context.storageUri ?? this.context.globalStorageUri).fsPath;
  }

  /** The scripts that switch a terminal to a folder's dev shell (switchShell.ts), per folder. */
  private switchScript(folder: string, kind: ShellKind): string {
    return folderFile(this.storage(), 'switch', folder, kind === 'fish' ? 'fish' : 'sh');
  }

  private async writeSwitchScripts(): Promise<void> {
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const envs = new Map<string, EnvironmentParams>();
    for (const folder of folders) {
      const env = this.flakes.get(this.flakes.rootOfFolder(folder));
      if (usable(env)) envs.set(folder, env);
    }
    for (const [folder, env] of envs) {
      const others = [...envs].filter(([f]) => f !== folder).map(([, e]) => e);
      for (const kind of ['posix', 'fish'] as const) {
        await writeAtomically(this.switchScript(folder, kind), switchScript(kind, folder, env, others, process.env.PATH)).catch(
          (e: unknown) => this.log(`terminals: could not write the script for ${folder}: ${String(e)}`),
        );
      }
    }
  }

  /**
   * A terminal opened in a folder other than the last active one got that other folder's
   * dev shell (switchShell.ts says why): type the guarded line that switches it.
   */
  onOpenTerminal(terminal: vscode.Terminal): void {
    if ((vscode.workspace.workspaceFolders?.length ?? 0) < 2) return;
    const options = terminal.creationOptions as vscode.TerminalOptions;
    // Ours ("Enter environment") and other extensions' terminals set their own environment.
    if (!options || options.env || 'pty' in options) return;
    const cwd = typeof options.cwd === 'string' ? options.cwd : options.cwd?.fsPath;
    const folder = cwd ? vscode.workspace.getWorkspaceFolder(vscode.Uri.file(cwd)) : undefined;
    if (!folder || folder.uri.fsPath === this.lastActiveFolder) return;
    const env = this.flakes.get(this.flakes.rootOfFolder(folder.uri.fsPath));
    if (!usable(env) || !vscode.workspace.isTrusted) return;
    const kind = shellKind(this.terminalShell(terminal));
    if (!kind) {
      this.log(`terminals: ${terminal.name} in ${folder.uri.fsPath} may have another folder's dev shell; its shell is not bash, zsh or fish`);
      return;
    }
    terminal.sendText(guardLine(folder.uri.fsPath, this.switchScript(folder.uri.fsPath, kind)), true);
    this.log(`terminals: ${terminal.name} opened in ${folder.uri.fsPath}, not the last active folder: switched to its dev shell`);
  }

  /** The program a terminal runs: its own shell path, else the default profile's, else $SHELL. */
  private terminalShell(terminal: vscode.Terminal): string | undefined {
    const options = terminal.creationOptions as vscode.TerminalOptions;
    if (options.shellPath) return options.shellPath;
    const config = vscode.workspace.getConfiguration('terminal.integrated');
    const platform = process.platform === 'darwin' ? 'osx' : 'linux';
    const profile = config.get<string>(`defaultProfile.${platform}`);
    if (profile) {
      const profiles = config.get<Record<string, { path?: string | string[] } | null>>(`profiles.${platform}`) ?? {};
      const path = profiles[profile]?.path;
      return (Array.isArray(path) ? path[0] : path) ?? profile;
    }
    return process.env.SHELL;
  }

  /** The flake whose environment the extension host gets: the first workspace folder's. */
  private hostRoot(): string | undefined {
    const first = vscode.workspace.workspaceFolders?.[0];
    return first ? this.flakes.rootOfFolder(first.uri.fsPath) : undefined;
  }

  /** `flakeLsp.environment.extensionHost` changed, or an environment came: see extensionHost.ts. */
  applyToExtensionHost(env = this.flakes.get(this.hostRoot())): void {
    const on = vscode.workspace.getConfiguration('flakeLsp').get<boolean>('environment.extensionHost', false);
    const wanted = on && vscode.workspace.isTrusted && usable(env) ? env : undefined;
    if (!this.host.apply(wanted)) return;
    this.log(wanted ? `extension host: ${description(wanted)} applied to process.env` : 'extension host: process.env restored');
    const now = this.host.current();
    const restartedFor = this.context.workspaceState.get<string>(RESTARTED_FOR) ?? '';
    if (now === restartedFor || now === this.restartOffered) return;
    this.restartOffered = now;
    void vscode.window
      .showInformationMessage(
        wanted
          ? 'flake-lsp: the dev shell is now in the environment of extensions. Restart extensions so the tools they already started see it too.'
          : 'flake-lsp: the dev shell was removed from the environment of extensions. Restart extensions so the tools they started leave it too.',
        'Restart extensions',
      )
      .then(async (pick) => {
        if (pick !== 'Restart extensions') return;
        await this.context.workspaceState.update(RESTARTED_FOR, now);
        await vscode.commands.executeCommand('workbench.action.restartExtensionHost');
      });
  }

  /**
   * Writes the dev shell as the folder's dotenv file for the Python extension and points the
   * folder's `python.envFile` at it, unless the user chose one (envfile.ts).
   */
  private async writeEnvFile(folder: vscode.WorkspaceFolder, env: EnvironmentParams): Promise<void> {
    if (vscode.workspace.getConfiguration('flakeLsp', folder).get<string>('python.envFile', 'auto') === 'off') return;
    // `python.envFile` is the Python extension's setting: without it, nothing reads the file.
    if (!vscode.extensions.getExtension('ms-python.python')) return;
    const file = envFilePath(this.storage(), folder.uri.fsPath);
    const { text, skipped } = dotenv(env.set, process.env.PATH, description(env));
    if (await writeAtomically(file, text)) this.log(`Python: wrote the dev shell's variables to ${file}`);
    if (skipped.length > 0) this.log(`Python: left out of ${file}, not expressible in a dotenv file: ${skipped.join(', ')}`);
    const config = vscode.workspace.getConfiguration('python', folder.uri);
    const set = config.inspect<string>('envFile');
    const explicit = set?.workspaceFolderValue ?? set?.workspaceValue ?? set?.globalValue;
    const hasDotenv = await fs.stat(path.join(folder.uri.fsPath, '.env')).then(
      (s) => s.isFile(),
      () => false,
    );
    const decision = decideEnvFile(explicit, file, hasDotenv);
    if (decision === 'point') {
      await config.update('envFile', file, vscode.ConfigurationTarget.WorkspaceFolder);
      this.log(`Python: python.envFile of ${folder.uri.fsPath} is now ${file}`);
    } else if (decision === 'user-setting') {
      this.log(`Python: kept python.envFile ${explicit} of ${folder.uri.fsPath}, set by you (runs do not get the dev shell's variables)`);
    } else if (decision === 'user-dotenv') {
      this.log(`Python: kept the .env of ${folder.uri.fsPath} as python.envFile (runs do not get the dev shell's variables)`);
    }
  }

  /** Runs `job` after the folder's previous one, logging a failure. */
  private queue(queue: Map<string, Promise<unknown>>, folder: vscode.WorkspaceFolder, job: () => Promise<unknown>, what: string): void {
    const key = folder.uri.fsPath;
    const next = (queue.get(key) ?? Promise.resolve())
      .then(job)
      .catch((e: unknown) => this.log(`Python: ${what}: ${String(e)}`));
    queue.set(key, next);
  }

  onProgress(tasks: Task[]): void {
    this.tasks = tasks;
    this.refreshStatus();
  }

  onEnterEnvironment(spec: TerminalSpec): void {
    openEnvironmentTerminal(vscode.window, spec);
  }

  onState(state: ServerState, error?: string): void {
    this.serverState = state;
    this.serverError = error;
    this.refreshStatus();
  }

  /** The flake of the active editor, else of the first folder. */
  currentRoot(): string | undefined {
    return this.flakes.rootFor(vscode.window.activeTextEditor?.document.uri.fsPath);
  }

  refreshStatus(): void {
    const root = this.currentRoot();
    this.status.show({
      hasFlake: root !== undefined,
      enabled: vscode.workspace.getConfiguration('flakeLsp').get<boolean>('environment.enable', true),
      server: this.serverState,
      serverError: this.serverError,
      workspaceTrusted: vscode.workspace.isTrusted,
      env: this.flakes.get(root),
      tasks: this.tasks,
      shellIntegration: vscode.workspace.getConfiguration('terminal.integrated').get<boolean>('shellIntegration.enabled', true),
      pythonByHand: root === undefined ? undefined : this.flakes.foldersOf(root).map((f) => this.selector.byHand(f)).find((p) => p),
    });
  }

  async refreshFolders(): Promise<void> {
    await this.flakes.setFolders((vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath));
    this.refreshStatus();
  }

  private selectPython(folder: vscode.WorkspaceFolder, env: EnvironmentParams): void {
    const mode = vscode.workspace.getConfiguration('flakeLsp', folder).get<string>('python.selectInterpreter', 'auto');
    if (mode === 'off') return;
    const key = folder.uri.fsPath;
    // One at a time per folder, in the order environments arrive.
    const previous = this.pythonQueue.get(key) ?? Promise.resolve();
    const next = previous
      .then(() => this.selector.update(key, env.python))
      .catch((e: unknown) => this.log(`Python: could not select the interpreter: ${String(e)}`));
    this.pythonQueue.set(key, next);
  }

  /**
   * Where the interpreter is selected: the Python Environments extension when it is in charge
   * (it returns no API when `python.useEnvironmentsExtension` turns it off), else the Python
   * extension once its API is ready, else the folder's settings. Neither is a dependency.
   */
  private async interpreterTarget(): Promise<InterpreterTarget> {
    const envs = vscode.extensions.getExtension<unknown>('ms-python.vscode-python-envs');
    if (envs) {
      try {
        const api = envs.isActive ? envs.exports : await envs.activate();
        if (isEnvsApi(api)) return envsExtensionTarget(api, (p) => vscode.Uri.file(p));
        this.log('Python: the Python Environments extension offers no API (python.useEnvironmentsExtension is off?); using the Python extension');
      } catch (e) {
        this.log(`Python: the Python Environments extension's API failed (${String(e)}); using the Python extension`);
      }
    }
    const python = vscode.extensions.getExtension<PythonApi>('ms-python.python');
    if (python) {
      try {
        const api = python.isActive ? python.exports : await python.activate();
        if (api?.environments) {
          // Selecting before `ready` is undone by the extension's first-run migration.
          if (!(await settlesWithin(api.ready, 120_000))) this.log("Python: the Python extension's API is still not ready after 2 minutes; using it anyway");
          return pythonExtensionTarget(api, (folder) => vscode.workspace.getWorkspaceFolder(vscode.Uri.file(folder)));
        }
        this.log("Python: the Python extension offers no environments API; writing the setting instead");
      } catch (e) {
        this.log(`Python: the Python extension's API is unavailable (${String(e)}); writing the setting instead`);
      }
    }
    return settingsFileTarget();
  }
}
