// The status bar item: what the environment of the current flake is doing. Clicking it opens
// the environment menu (extension.ts).
import type * as vscode from 'vscode';
import { EnvironmentParams, flakeName, shortShell } from './protocol';

export type ServerState = 'starting' | 'running' | 'stopped' | 'missing';

export interface StatusInput {
  server: ServerState;
  /** VS Code's Workspace Trust. */
  workspaceTrusted: boolean;
  /** The environment of the flake shown, when one was reported. */
  env?: EnvironmentParams;
  /** The server's work under way, one entry per `$/progress` token (see `Tasks`). */
  tasks?: Task[];
  /** Why the server stopped, when it did. */
  serverError?: string;
  /** Whether the workspace has a flake at all (else there is nothing to show). */
  hasFlake: boolean;
  /** flakeLsp.environment.enable */
  enabled: boolean;
  /** terminal.integrated.shellIntegration.enabled: whether PATH is set again after rc files. */
  shellIntegration?: boolean;
  /** The interpreter the user chose by hand instead of the dev shell's, if any. */
  pythonByHand?: string;
}

/** What new terminals get, for the tooltip (environment.ts says why). */
export function terminalsLine(shellIntegration: boolean | undefined): string {
  return shellIntegration === false
    ? "\nTerminals: shell integration is off (terminal.integrated.shellIntegration.enabled), so what your shell's rc files put on PATH comes before the dev shell's entries"
    : "\nTerminals: the dev shell's PATH entries come first, set again after your shell's rc files (shell integration)";
}

export interface Presentation {
  text: string;
  tooltip: string;
  severity?: 'error' | 'warning';
}

/** One piece of the server's work: a `$/progress` token's title, latest message and percentage. */
export interface Task {
  title: string;
  message?: string;
  percentage?: number;
}

/**
 * The server's work under way, each `$/progress` token by itself: ending one (the package
 * index) leaves the others (a realisation) as they are.
 */
export class Tasks {
  private readonly byToken = new Map<string | number, Task>();

  begin(token: string | number, title: string, message?: string, percentage?: number): void {
    this.byToken.set(token, { title, message, percentage });
  }

  report(token: string | number, message?: string, percentage?: number): void {
    const task = this.byToken.get(token);
    if (!task) return;
    this.byToken.set(token, { title: task.title, message: message ?? task.message, percentage: percentage ?? task.percentage });
  }

  end(token: string | number): void {
    this.byToken.delete(token);
  }

  all(): Task[] {
    return [...this.byToken.values()];
  }
}

/** The realisation of `root`'s dev shell among `tasks` (the server titles it so). */
function realisationOf(tasks: Task[], root: string): Task | undefined {
  return tasks.find((t) => t.title === `Realising the dev shell of ${flakeName(root)}`);
}

function progressText(progress: Task | undefined): string {
  if (!progress) return '';
  const pct = progress.percentage !== undefined ? ` ${Math.round(progress.percentage)}%` : '';
  return pct;
}

/** What a task does, shortly: "Indexing the packages of nixpkgs" → "indexing the packages". */
export function activity(title: string): string {
  const what = title.replace(/ of .*$/, '');
  return what.charAt(0).toLowerCase() + what.slice(1);
}

function taskLine(task: Task): string {
  const pct = task.percentage !== undefined ? ` (${Math.round(task.percentage)}%)` : '';
  return `${task.title}${task.message ? `: ${task.message}` : ''}${pct}`;
}

/**
 * Appends the other work (the index, a lock update; another flake's realisation in the tooltip
 * only, as that flake's status shows it) to a presentation.
 */
function withOtherWork(p: Presentation, others: Task[]): Presentation {
  if (others.length === 0) return p;
  const shown = others.filter((t) => !t.title.startsWith('Realising the dev shell of '));
  return {
    ...p,
    text: shown.length > 0 ? `${p.text} · $(sync~spin) ${shown.map((t) => activity(t.title)).join(', ')}` : p.text,
    tooltip: `${p.tooltip}\n${others.map(taskLine).join('\n')}`,
  };
}

/** What the status bar says (undefined: nothing to show); pure, so it is tested without VS Code. */
export function present(input: StatusInput): Presentation | undefined {
  if (input.server === 'missing') {
    return {
      text: '$(error) flake-lsp: no server',
      tooltip: input.serverError ?? 'The flake-lsp server was not found. Set flakeLsp.server.path.',
      severity: 'error',
    };
  }
  if (input.server === 'stopped') {
    return {
      text: '$(error) flake-lsp: stopped',
      tooltip: `The flake-lsp server stopped${input.serverError ? `: ${input.serverError}` : ''}. Click to restart it.`,
      severity: 'error',
    };
  }
  if (!input.workspaceTrusted) {
    return {
      text: '$(shield) nix: untrusted',
      tooltip:
        'This workspace is not trusted: flake-lsp offers the Nix language features only, builds nothing and runs no shellHook. Trust the workspace to enter the dev shell.',
    };
  }
  const env = input.env;
  if (!input.hasFlake && !env) return undefined;
  if (!input.enabled) {
    return { text: '$(circle-slash) nix: off', tooltip: 'The dev shell is off (flakeLsp.environment.enable).' };
  }
  if (!env) {
    return { text: '$(loading~spin) nix', tooltip: 'flake-lsp is starting' };
  }
  const tasks = input.tasks ?? [];
  const realisation = realisationOf(tasks, env.root);
  return withOtherWork(presentEnvironment(env, realisation, terminalsLine(input.shellIntegration), input.pythonByHand), tasks.filter((t) => t !== realisation));
}

function presentEnvironment(
  env: EnvironmentParams,
  progress: Task | undefined,
  terminals: string,
  pythonByHand: string | undefined,
): Presentation {
  const name = flakeName(env.root);
  const shell = shortShell(env.shell);
  const where = `Flake: ${env.root}${env.shell ? `\nShell: ${env.shell}` : ''}`;
  const log = env.log ? `\nLog: ${env.log}` : '';
  switch (env.state) {
    case 'realising':
      return {
        text: `$(loading~spin) nix: realising${progressText(progress)}`,
        tooltip: `Realising the dev shell of ${name}${progress?.message ? `: ${progress.message}` : ''}\n${where}${log}`,
      };
    case 'ready': {
      const py = env.python?.version ? ` · Python ${env.python.version}` : '';
      const interp = !env.python
        ? ''
        : pythonByHand && pythonByHand !== env.python.interpreter
          ? `\nPython: ${pythonByHand} (chosen by hand; the dev shell offers ${env.python.interpreter})`
          : `\nPython: ${env.python.interpreter}`;
      const broken = env.python?.broken ? `\nThe venv is broken: ${env.python.broken}` : '';
      return {
        text: `$(check) nix: ${shell}${py}`,
        tooltip: `Dev shell ready${env.fromCache ? ' (from the cache)' : ''}\n${where}${interp}${broken}${terminals}${log}`,
        severity: env.python?.broken ? 'warning' : undefined,
      };
    }
    case 'stale': {
      const realising = progress !== undefined || env.error === 'realising again';
      return {
        text: realising
          ? `$(loading~spin) nix: ${shell} · updating${progressText(progress)}`
          : `$(warning) nix: ${shell} · stale`,
        tooltip: `Stale: ${env.error ?? 'the flake changed'}. New terminals get the last good environment.\n${where}${terminals}${log}`,
        severity: realising ? undefined : 'warning',
      };
    }
    case 'failed':
      return {
        text: '$(error) nix: failed',
        tooltip: `The dev shell could not be realised: ${env.error ?? 'unknown error'}\n${where}${log}`,
        severity: 'error',
      };
    case 'untrusted':
      return {
        text: '$(shield) nix: untrusted',
        tooltip: `The flake is not trusted: nothing is built and no shellHook runs. Choose Trust in the menu.\n${where}`,
      };
  }
}

export type Item = Pick<vscode.StatusBarItem, 'text' | 'tooltip' | 'backgroundColor' | 'show' | 'hide'>;

export class StatusBar {
  constructor(
    private readonly item: Item,
    private readonly color: (severity: 'error' | 'warning') => vscode.ThemeColor,
  ) {}

  show(input: StatusInput): Presentation | undefined {
    const p = present(input);
    if (!p) {
      this.item.hide();
      return undefined;
    }
    this.item.text = p.text;
    this.item.tooltip = p.tooltip;
    this.item.backgroundColor = p.severity ? this.color(p.severity) : undefined;
    this.item.show();
    return p;
  }
}
