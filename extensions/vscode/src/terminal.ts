// "Enter environment": a new integrated terminal with the user's own shell, in the flake's
// root, inside the dev shell (the server's `flake-lsp.enterEnvironment` result).
import type * as vscode from 'vscode';
import { TerminalSpec } from './protocol';

/** The terminal's environment: the variables to set, and `null` for those to remove. */
export function terminalEnv(spec: TerminalSpec): Record<string, string | null> {
  const env: Record<string, string | null> = { ...spec.env };
  for (const name of spec.unset) env[name] = null;
  return env;
}

export function openEnvironmentTerminal(
  window: Pick<typeof vscode.window, 'createTerminal'>,
  spec: TerminalSpec,
): vscode.Terminal {
  const terminal = window.createTerminal({ name: spec.name, cwd: spec.cwd, env: terminalEnv(spec), strictEnv: false });
  terminal.show();
  return terminal;
}
