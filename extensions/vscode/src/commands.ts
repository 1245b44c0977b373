// The commands, and the menu behind the status bar item.
import { promises as fs } from 'fs';
import * as vscode from 'vscode';
import { Controller } from './controller';
import { ENTER_ENVIRONMENT, REALISE, SHELLS, ShellsResult, TRUST } from './protocol';

type Command = (c: Controller) => Promise<unknown>;

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The flake to act on, or undefined after telling the user why there is none. */
function rootOrSay(c: Controller): string | undefined {
  const root = c.currentRoot();
  if (!root) void vscode.window.showInformationMessage('flake-lsp: no flake.nix in this workspace.');
  return root;
}

/** A request to the server, with its failure shown. */
async function request<R>(c: Controller, method: string, params: object): Promise<R | undefined> {
  const client = c.server.client;
  if (!client?.isRunning()) {
    void vscode.window.showWarningMessage('flake-lsp: the server is not running.', 'Restart server').then((pick) => {
      if (pick) void c.server.restart();
    });
    return undefined;
  }
  try {
    return await client.sendRequest<R>(method, params);
  } catch (e) {
    void vscode.window.showWarningMessage(`flake-lsp: ${message(e)}`);
    return undefined;
  }
}

function needsTrust(): boolean {
  if (vscode.workspace.isTrusted) return false;
  void vscode.window
    .showInformationMessage('flake-lsp: the workspace is not trusted, so its dev shell is off.', 'Manage Workspace Trust')
    .then((pick) => pick && vscode.commands.executeCommand('workbench.trust.manage'));
  return true;
}

export async function trustFlake(c: Controller, root: string, trust: boolean): Promise<void> {
  if (trust) {
    await c.setDistrusted(root, false);
    await request(c, TRUST, { root, trust: true });
  } else {
    // The other flakes keep the trust the workspace gives them, recorded before it is withdrawn.
    for (const other of c.flakes.roots()) {
      if (other !== root && !c.distrusted().includes(other)) await request(c, TRUST, { root: other, trust: true });
    }
    await c.setDistrusted(root, true);
    await request(c, TRUST, { root, trust: false });
  }
  await c.server.sendSettings();
}

export const commands: Record<string, Command> = {
  'flakeLsp.reload': async (c) => {
    const root = rootOrSay(c);
    if (!root || needsTrust()) return;
    await request(c, REALISE, { root, refresh: true });
  },

  'flakeLsp.enterEnvironment': async (c) => {
    const root = rootOrSay(c);
    if (!root || needsTrust()) return;
    // Through the server's command, so this and the code action share one path (client.ts).
    await vscode.commands.executeCommand(ENTER_ENVIRONMENT, { root });
  },

  'flakeLsp.selectShell': async (c) => {
    const root = rootOrSay(c);
    if (!root || needsTrust()) return;
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'flake-lsp: listing the dev shells…' },
      () => request<ShellsResult>(c, SHELLS, { root }),
    );
    if (!result) return;
    const picked = await vscode.window.showQuickPick(
      result.shells.map((shell) => ({ label: shell, description: shell === result.current ? 'current' : undefined })),
      { title: 'Dev shell', placeHolder: 'The dev shell new terminals and Python use' },
    );
    if (!picked) return;
    await vscode.workspace.getConfiguration('flakeLsp').update('environment.shell', picked.label, vscode.ConfigurationTarget.Workspace);
  },

  'flakeLsp.trust': async (c) => {
    if (needsTrust()) return;
    const root = rootOrSay(c);
    if (!root) return;
    const untrusted = c.flakes.get(root)?.state === 'untrusted';
    const pick = await vscode.window.showQuickPick(
      [
        { label: 'Trust', detail: 'Build the dev shell and run its shellHook', trust: true },
        { label: "Don't trust", detail: 'Stop: nothing is built and no shellHook runs', trust: false },
      ].sort((a) => (a.trust === untrusted ? -1 : 1)),
      { title: `Trust the flake in ${root}?` },
    );
    if (pick) await trustFlake(c, root, pick.trust);
  },

  'flakeLsp.showLog': async (c) => {
    const log = c.flakes.get(c.currentRoot())?.log;
    const exists = log ? await fs.stat(log).then(() => true, () => false) : false;
    if (log && exists) {
      await vscode.window.showTextDocument(vscode.Uri.file(log), { preview: true });
    } else {
      c.server.output.show();
    }
  },

  'flakeLsp.restartServer': async (c) => {
    await c.server.restart();
  },

  'flakeLsp.menu': async (c) => {
    const state = c.flakes.get(c.currentRoot())?.state;
    const items: { label: string; command: string }[] = [
      { label: '$(refresh) Reload environment', command: 'flakeLsp.reload' },
      { label: '$(terminal) Enter environment (new terminal)', command: 'flakeLsp.enterEnvironment' },
      { label: '$(list-selection) Select dev shell', command: 'flakeLsp.selectShell' },
      vscode.workspace.isTrusted
        ? { label: state === 'untrusted' ? '$(shield) Trust the flake' : "$(shield) Don't trust the flake", command: 'flakeLsp.trust' }
        : { label: '$(shield) Trust the workspace', command: 'workbench.trust.manage' },
      { label: '$(output) Show log', command: 'flakeLsp.showLog' },
    ];
    if (c.server.client?.isRunning() !== true) items.push({ label: '$(debug-restart) Restart server', command: 'flakeLsp.restartServer' });
    const pick = await vscode.window.showQuickPick(items, { title: 'flake-lsp' });
    if (pick) await vscode.commands.executeCommand(pick.command);
  },
};
