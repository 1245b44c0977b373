// The extension's state and what happens when the server reports: environments go to the
// terminals of their folders, the Python interpreter is selected, the status bar follows.
import { promises as fs } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Hooks, Server } from './client';
import { decideEnvFile, dotenv, envFilePath, writeAtomically } from './envfile';
import { Applier, description, usable } from './environment';
import { HostEnvironment } from './extensionHost';
import { Flakes } from './flakes';
import { EnvironmentParams, TerminalSpec } from './protocol';
import { InterpreterSelector, InterpreterTarget, PythonApi, pythonExtensionTarget, settingsFileTarget } from './python';
import { ServerState, StatusBar, Task } from './status';
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

  constructor(private readonly context: vscode.ExtensionContext) {
    this.server = new Server(context, this);
    const item = vscode.window.createStatusBarItem('flakeLsp.status', vscode.StatusBarAlignment.Left, 10);
    item.name = 'flake-lsp environment';
    item.command = 'flakeLsp.menu';
    context.subscriptions.push(item, this.server.output);
    this.status = new StatusBar(item, (severity) => new vscode.ThemeColor(`statusBarItem.${severity}Background`));
    this.selector = new InterpreterSelector(() => this.interpreterTarget(), context.workspaceState, (m) =>
      this.server.output.appendLine(m),
    );
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
      if (this.applier.apply(collection, env)) this.log(`environment: ${env.state} for ${folder} (${env.root})`);
      if ((env.state === 'ready' || env.state === 'stale') && env.python) this.selectPython(wf, env);
      if (usable(env)) this.queue(this.envFileQueue, wf, () => this.writeEnvFile(wf, env), 'could not write the env file');
    }
    if (usable(env) && env.root === this.hostRoot()) this.applyToExtensionHost(env);
    this.refreshStatus();
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
    const storage = (this.context.storageUri ?? this.context.globalStorageUri).fsPath;
    const file = envFilePath(storage, folder.uri.fsPath);
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

  private async interpreterTarget(): Promise<InterpreterTarget> {
    const python = vscode.extensions.getExtension<PythonApi>('ms-python.python');
    if (python) {
      try {
        const api = python.isActive ? python.exports : await python.activate();
        if (api?.environments) {
          return pythonExtensionTarget(api, (folder) => vscode.workspace.getWorkspaceFolder(vscode.Uri.file(folder)));
        }
      } catch (e) {
        this.log(`Python: the Python extension's API is unavailable (${String(e)}); writing the setting instead`);
      }
    }
    return settingsFileTarget();
  }
}
