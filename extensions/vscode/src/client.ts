// Starts flake-lsp with vscode-languageclient: finds the binary, answers the server's settings
// requests with what the extension decides (Workspace Trust included), shows the server's
// `$/progress` as cancellable progress, opens the terminal of the "Enter environment" code
// action, and says clearly when the server is missing or keeps crashing.
import * as vscode from 'vscode';
import {
  CloseAction,
  CloseHandlerResult,
  ErrorAction,
  ErrorHandlerResult,
  LanguageClient,
  LanguageClientOptions,
  ProgressToken,
  State,
  StaticFeature,
  WorkDoneProgress,
  WorkDoneProgressCancelNotification,
  WorkDoneProgressCreateRequest,
} from 'vscode-languageclient/node';
import { findServer } from './locate';
import { ENTER_ENVIRONMENT, ENVIRONMENT, EnvironmentParams, TerminalSpec } from './protocol';
import { ServerState, Task, Tasks } from './status';

export interface Hooks {
  /** `{ flakeLsp: … }`: the settings the server gets. */
  settings(): { flakeLsp: Record<string, unknown> };
  onEnvironment(env: EnvironmentParams): void;
  /** The server's work under way changed (`$/progress`, each token by itself). */
  onProgress(tasks: Task[]): void;
  onEnterEnvironment(spec: TerminalSpec): void;
  onState(state: ServerState, error?: string): void;
}

/** `$/progress` as a cancellable notification (languageclient's own is in the status bar, without cancel). */
class ProgressUi implements StaticFeature {
  constructor(
    private readonly client: LanguageClient,
    private readonly hooks: Hooks,
    private readonly log: (message: string) => void,
  ) {}

  fillClientCapabilities(capabilities: { window?: { workDoneProgress?: boolean } }): void {
    capabilities.window = capabilities.window ?? {};
    capabilities.window.workDoneProgress = true;
  }

  initialize(): void {
    this.client.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => this.track(token));
  }

  getState(): { kind: 'static' } {
    return { kind: 'static' };
  }

  clear(): void {}

  private readonly tasks = new Tasks();

  /**
   * One notification per token, titled with what runs ("Indexing the packages of …"), shown
   * when the work begins; its Cancel cancels that token only.
   */
  private track(token: ProgressToken): void {
    let reported = 0;
    let resolve: () => void = () => {};
    const ended = new Promise<void>((r) => (resolve = r));
    let report: (value: { message?: string; increment?: number }) => void = () => {};
    const listener = this.client.onProgress(WorkDoneProgress.type, token, (value) => {
      if (value.kind === 'end') {
        this.log('progress: done');
        listener.dispose();
        this.tasks.end(token);
        this.hooks.onProgress(this.tasks.all());
        resolve();
        return;
      }
      const percentage = value.percentage;
      const increment = percentage !== undefined ? Math.max(0, percentage - reported) : undefined;
      if (percentage !== undefined) reported = Math.max(reported, percentage);
      if (value.kind === 'begin') {
        this.log(`progress: ${value.title}`);
        this.tasks.begin(token, value.title, value.message, percentage);
        this.show(token, value.title, ended, (r) => (report = r));
      } else {
        this.tasks.report(token, value.message, percentage);
      }
      this.hooks.onProgress(this.tasks.all());
      if (value.message !== undefined || increment !== undefined) report({ message: value.message, increment });
    });
  }

  private show(
    token: ProgressToken,
    title: string,
    ended: Promise<void>,
    onReport: (report: (value: { message?: string; increment?: number }) => void) => void,
  ): void {
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `flake-lsp: ${title}`, cancellable: true },
      (progress, cancel) => {
        onReport((value) => progress.report(value));
        cancel.onCancellationRequested(() => {
          void this.client.sendNotification(WorkDoneProgressCancelNotification.type, { token });
        });
        return ended;
      },
    );
  }
}

/** The running client, restarted on demand. */
export class Server {
  client: LanguageClient | undefined;
  readonly output = vscode.window.createOutputChannel('flake-lsp');
  private crashes: number[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly hooks: Hooks,
  ) {}

  async start(): Promise<void> {
    this.hooks.onState('starting');
    const configured = vscode.workspace.getConfiguration('flakeLsp').get<string | null>('server.path');
    const found = await findServer(configured, this.context.extensionPath, process.env.PATH);
    if ('error' in found) {
      this.hooks.onState('missing', found.error);
      this.output.appendLine(found.error);
      void vscode.window.showErrorMessage(`flake-lsp: ${found.error}`, 'Open settings', 'Retry').then((pick) => {
        if (pick === 'Open settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'flakeLsp.server.path');
        if (pick === 'Retry') void this.restart();
      });
      return;
    }
    this.output.appendLine(`flake-lsp: starting ${found.path} (${found.source})`);
    const client = new LanguageClient(
      'flakeLsp',
      'flake-lsp',
      { command: found.path, args: ['serve'], options: { env: process.env } },
      this.options(),
    );
    client.registerFeature(new ProgressUi(client, this.hooks, (m) => this.output.appendLine(m)));
    client.onNotification(ENVIRONMENT, (env: EnvironmentParams) => this.hooks.onEnvironment(env));
    client.onDidChangeState(({ newState }) => {
      if (newState === State.Running) this.hooks.onState('running');
    });
    this.client = client;
    try {
      await client.start();
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.hooks.onState('stopped', message);
      this.offerRestart(`flake-lsp could not start (${found.path}): ${message}`);
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.stop(2000).catch(() => undefined);
  }

  async restart(): Promise<void> {
    this.crashes = [];
    await this.stop();
    await this.start();
  }

  /** Tells the server the settings changed (they are sent in full). */
  async sendSettings(): Promise<void> {
    await this.client?.sendNotification('workspace/didChangeConfiguration', { settings: this.hooks.settings() });
  }

  private offerRestart(message: string): void {
    void vscode.window.showErrorMessage(message, 'Restart server', 'Show output').then((pick) => {
      if (pick === 'Restart server') void this.restart();
      if (pick === 'Show output') this.output.show();
    });
  }

  private options(): LanguageClientOptions {
    const hooks = this.hooks;
    return {
      documentSelector: [{ scheme: 'file', language: 'nix' }],
      outputChannel: this.output,
      initializationOptions: () => hooks.settings(),
      errorHandler: {
        error: (): ErrorHandlerResult => ({ action: ErrorAction.Continue }),
        closed: (): CloseHandlerResult => {
          const now = Date.now();
          this.crashes = [...this.crashes.filter((t) => now - t < 180_000), now];
          if (this.crashes.length <= 3) {
            this.output.appendLine('flake-lsp: the server stopped; restarting it');
            return { action: CloseAction.Restart, handled: true };
          }
          hooks.onState('stopped', 'it crashed 4 times in 3 minutes');
          this.offerRestart('flake-lsp: the server keeps crashing and was not restarted. See the output for why.');
          return { action: CloseAction.DoNotRestart, handled: true };
        },
      },
      middleware: {
        executeCommand: async (command, args, next) => {
          try {
            const result: unknown = await next(command, args);
            if (command === ENTER_ENVIRONMENT && result) hooks.onEnterEnvironment(result as TerminalSpec);
            return result;
          } catch (e) {
            void vscode.window.showWarningMessage(`flake-lsp: ${e instanceof Error ? e.message : String(e)}`);
            return undefined;
          }
        },
        workspace: {
          configuration: async (params, token, next) => {
            const ours = hooks.settings().flakeLsp;
            if (params.items.every((item) => item.section === 'flakeLsp')) return params.items.map(() => ours);
            const values = await next(params, token);
            if (!Array.isArray(values)) return values;
            return values.map((v: unknown, i: number) => (params.items[i]?.section === 'flakeLsp' ? ours : v));
          },
        },
      },
    };
  }
}
