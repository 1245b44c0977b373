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
  /** A realisation under way: Nix's latest message and percentage. */
  progress?: { message?: string; percentage?: number };
  /** Why the server stopped, when it did. */
  serverError?: string;
  /** Whether the workspace has a flake at all (else there is nothing to show). */
  hasFlake: boolean;
  /** flakeLsp.environment.enable */
  enabled: boolean;
  /** The interpreter the user chose by hand instead of the dev shell's, if any. */
  pythonByHand?: string;
}

export interface Presentation {
  text: string;
  tooltip: string;
  severity?: 'error' | 'warning';
}

function progressText(progress: StatusInput['progress']): string {
  if (!progress) return '';
  const pct = progress.percentage !== undefined ? ` ${Math.round(progress.percentage)}%` : '';
  return pct;
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
  const name = flakeName(env.root);
  const shell = shortShell(env.shell);
  const where = `Flake: ${env.root}${env.shell ? `\nShell: ${env.shell}` : ''}`;
  const log = env.log ? `\nLog: ${env.log}` : '';
  switch (env.state) {
    case 'realising':
      return {
        text: `$(loading~spin) nix: realising${progressText(input.progress)}`,
        tooltip: `Realising the dev shell of ${name}${input.progress?.message ? `: ${input.progress.message}` : ''}\n${where}${log}`,
      };
    case 'ready': {
      const py = env.python?.version ? ` · Python ${env.python.version}` : '';
      const interp = !env.python
        ? ''
        : input.pythonByHand && input.pythonByHand !== env.python.interpreter
          ? `\nPython: ${input.pythonByHand} (chosen by hand; the dev shell offers ${env.python.interpreter})`
          : `\nPython: ${env.python.interpreter}`;
      const broken = env.python?.broken ? `\nThe venv is broken: ${env.python.broken}` : '';
      return {
        text: `$(check) nix: ${shell}${py}`,
        tooltip: `Dev shell ready${env.fromCache ? ' (from the cache)' : ''}\n${where}${interp}${broken}${log}`,
        severity: env.python?.broken ? 'warning' : undefined,
      };
    }
    case 'stale': {
      const realising = input.progress !== undefined || env.error === 'realising again';
      return {
        text: realising
          ? `$(loading~spin) nix: ${shell} · updating${progressText(input.progress)}`
          : `$(warning) nix: ${shell} · stale`,
        tooltip: `Stale: ${env.error ?? 'the flake changed'}. New terminals get the last good environment.\n${where}${log}`,
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
