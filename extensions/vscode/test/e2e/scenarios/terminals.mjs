// A typical Python developer's HOME: ~/.bashrc, ~/.zshrc and fish's config.fish put a directory
// holding a fake `python` first on PATH (as `pyenv init`, conda or ~/.local/bin do), and shell
// integration is on (VS Code's default). In every new terminal, bash, zsh and fish, login or
// not, `python` must still be the flake's (its .venv's), with VIRTUAL_ENV and the dev shell's
// variables set.
import { join } from 'node:path';
import { log, pythonFlake, trustAndWait } from '../harness.mjs';

const PREPEND_SH = 'export PATH="$HOME/shims:$PATH"\n';
const PROFILES = ['bash', 'bash-login', 'zsh', 'zsh-login', 'fish', 'fish-login'];

export const setup = {
  folders: [{ name: 'project', flake: pythonFlake() }],
  home: {
    'shims/python': '#!/bin/sh\necho "the rc files\' python"\n',
    '.bashrc': PREPEND_SH,
    '.bash_profile': '[ -r ~/.bashrc ] && . ~/.bashrc\n',
    '.zshrc': PREPEND_SH,
    '.config/fish/config.fish': 'set -gx PATH $HOME/shims $PATH\n',
  },
  user: {
    'terminal.integrated.profiles.linux': {
      bash: { path: 'bash' },
      'bash-login': { path: 'bash', args: ['-l'] },
      zsh: { path: 'zsh' },
      'zsh-login': { path: 'zsh', args: ['-l'] },
      fish: { path: 'fish' },
      'fish-login': { path: 'fish', args: ['-l'] },
    },
  },
};

export async function run(h) {
  await trustAndWait(h);
  const venv = join(h.project, '.venv');
  const failures = [];
  for (const profile of PROFILES) {
    await h.newTerminal({ profile });
    // sh -c: the same line in bash, zsh and fish, reading the PATH the terminal's shell has.
    const [python, virtualEnv, greeting, shims] = await h.runInTerminal(
      `${profile}.txt`,
      `sh -c 'command -v python; echo "$VIRTUAL_ENV"; echo "$GREETING"; command -v python3'`,
    );
    await h.shot(`terminal-${profile}`);
    log(`${profile}: python=${python} VIRTUAL_ENV=${virtualEnv} GREETING=${greeting} python3=${shims}`);
    if (!python?.startsWith(venv + '/')) failures.push(`${profile}: python is ${python}, expected inside ${venv}`);
    if (virtualEnv !== venv) failures.push(`${profile}: VIRTUAL_ENV is ${virtualEnv}`);
    if (greeting !== 'hello') failures.push(`${profile}: GREETING is ${greeting}`);
  }
  if (failures.length > 0) throw new Error(failures.join('\n'));
}
