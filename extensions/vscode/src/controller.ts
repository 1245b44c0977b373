// The extension's state and what happens when the server reports: environments go to the
// terminals of their folders, the Python interpreter is selected, the status bar follows.
import * as vscode from 'vscode';
import { Hooks, Server } from './client';
import { Applier } from './environment';
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
import { ServerState, StatusBar, StatusInput } from './status';
import { openEnvironmentTerminal } from './terminal';

const DISTRUSTED = 'flakeLsp.distrusted';

export class Controller implements Hooks {
  readonly flakes = new Flakes();
  readonly server: Server;
  private readonly applier = new Applier(process.env.PATH);
  private readonly selector: InterpreterSelector;
  private readonly status: StatusBar;
  private serverState: ServerState = 'starting';
  private serverError: string | undefined;
  private progress: StatusInput['progress'];
  private pythonQueue = new Map<string, Promise<unknown>>();
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
      if (this.applier.apply(collection, env)) this.log(`environment: ${env.state} for ${folder} (${env.root})`);
      if ((env.state === 'ready' || env.state === 'stale') && env.python) this.selectPython(wf, env);
    }
    this.refreshStatus();
  }

  onProgress(progress: StatusInput['progress']): void {
    this.progress = progress;
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
      progress: this.progress,
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
