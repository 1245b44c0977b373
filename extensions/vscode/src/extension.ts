// Wires the extension together: the controller (state), the server, the commands and the
// events VS Code sends. Each concern lives in its own module.
import * as vscode from 'vscode';
import { commands, trustFlake } from './commands';
import { Controller } from './controller';

let controller: Controller | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const c = new Controller(context);
  controller = c;
  for (const [name, run] of Object.entries(commands)) {
    context.subscriptions.push(vscode.commands.registerCommand(name, () => run(c)));
  }
  context.subscriptions.push(
    vscode.window.onDidChangeActiveTextEditor((editor) => {
      c.noteActiveEditor(editor);
      c.refreshStatus();
    }),
    vscode.window.onDidOpenTerminal((terminal) => c.onOpenTerminal(terminal)),
    vscode.workspace.onDidChangeWorkspaceFolders(() => void c.refreshFolders()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('flakeLsp.environment.extensionHost')) c.applyToExtensionHost();
      if (e.affectsConfiguration('flakeLsp.server.path')) void c.server.restart();
      else if (e.affectsConfiguration('flakeLsp')) void c.server.sendSettings();
    }),
    // Trusting the workspace turns the environment on, without a reload.
    vscode.workspace.onDidGrantWorkspaceTrust(async () => {
      c.refreshStatus();
      await c.server.sendSettings();
      for (const root of c.flakes.roots()) {
        if (!c.distrusted().includes(root)) await trustFlake(c, root, true);
      }
    }),
  );
  if (!vscode.workspace.isTrusted) context.environmentVariableCollection.clear();
  c.noteActiveEditor(vscode.window.activeTextEditor);
  await c.refreshFolders();
  await c.server.start();
}

export async function deactivate(): Promise<void> {
  await controller?.server.stop();
}
