// flakeLsp.environment.extensionHost: other extensions (here the test-only reporter) see the
// dev shell in the extension host's process.env; flake-lsp offers "Restart extensions", and
// after the restart the environment is there again without a second offer.
import { join } from 'node:path';
import { log, pythonFlake, trustAndWait, until } from '../harness.mjs';

export const setup = {
  folders: [{ name: 'project', flake: pythonFlake() }],
  user: { 'flakeLsp.environment.extensionHost': true },
  reporter: true,
};

function check(report, venv, when) {
  const env = report.processEnv;
  log(`${when}: another extension sees GREETING=${env.GREETING} VIRTUAL_ENV=${env.VIRTUAL_ENV} PATH=${env.PATH?.split(':')[0]}…`);
  if (env.GREETING !== 'hello') throw new Error(`${when}: GREETING is ${env.GREETING} in the extension host`);
  if (env.VIRTUAL_ENV !== venv) throw new Error(`${when}: VIRTUAL_ENV is ${env.VIRTUAL_ENV} in the extension host`);
  if (!env.PATH?.startsWith(`${venv}/bin:`)) throw new Error(`${when}: PATH does not start with the venv: ${env.PATH}`);
}

export async function run(h) {
  await trustAndWait(h);
  const venv = join(h.project, '.venv');
  // The offer first: the reporter is run from the command palette, whose Escape hides toasts.
  const offer = h.page.locator('.notification-toast').filter({ hasText: /Restart extensions so the tools/ });
  await offer.first().waitFor({ state: 'visible', timeout: 30000 });
  await h.shot('restart-offer');
  check(await h.report(), venv, 'after realising');
  // Back in view (the palette's Escape hid it): the notification centre keeps it.
  await h.commandPalette('Notifications: Show Notifications');
  const listed = h.page.locator('.notifications-center .notification-list-item').filter({ hasText: /Restart extensions so the tools/ });
  await listed.first().waitFor({ state: 'visible', timeout: 15000 });
  await listed.first().getByRole('button', { name: 'Restart extensions' }).click();
  // The extension host starts again: flake-lsp applies the cached environment early.
  await h.page.waitForTimeout(3000);
  await until('the status bar after the restart', 120000, async () => /nix: default · Python \d/.test(await h.statusText()));
  const after = await until('the reporter after the restart', 60000, async () => {
    const report = await h.report();
    return report.processEnv.GREETING === 'hello' ? report : undefined;
  }, 2000);
  check(after, venv, 'after restarting extensions');
  await h.page.waitForTimeout(3000);
  const again = await offer.count();
  await h.shot('after-restart');
  if (again > 0 && (await offer.first().isVisible())) throw new Error('"Restart extensions" was offered again for the same environment');
}
