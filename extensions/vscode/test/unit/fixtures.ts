// Shared test data: environments as the server sends them.
import { EnvironmentParams } from '../../src/protocol';

export const HOST_PATH = '/usr/local/bin:/usr/bin:/bin';

export function env(overrides: Partial<EnvironmentParams> = {}): EnvironmentParams {
  return {
    protocol: 1,
    root: '/home/me/project',
    shell: 'devShells.x86_64-linux.default',
    state: 'ready',
    fromCache: false,
    set: {
      PATH: `/home/me/project/.venv/bin:/nix/store/abc-python3-3.11.9/bin:${HOST_PATH}`,
      VIRTUAL_ENV: '/home/me/project/.venv',
      GREETING: 'hello',
    },
    unset: ['GONE'],
    python: {
      interpreter: '/home/me/project/.venv/bin/python',
      version: '3.11.9',
      venv: '/home/me/project/.venv',
      sitePackages: '/home/me/project/.venv/lib/python3.11/site-packages',
      shellPython: '/nix/store/abc-python3-3.11.9/bin/python3',
      broken: null,
    },
    error: null,
    log: '/home/me/.cache/flake-lsp/env/project/realise.log',
    ...overrides,
  };
}
