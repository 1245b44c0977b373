// Several flakes in one window: a terminal opened in one folder may get another folder's dev
// shell. VS Code applies the folder-scoped environment variable collection of the *last
// active* workspace folder (the folder of the last active editor), not of the folder the new
// terminal starts in (code-server 4.100 / VS Code 1.100: the terminal backend passes
// `getLastActiveWorkspaceRoot()` as the terminal's workspace folder). An extension cannot
// choose the collection per terminal.
//
// So each folder's collection also sets FLAKE_LSP_FOLDER, and when a terminal opens in a folder
// other than the one last active, flake-lsp types one guarded line into it:
//     test "$FLAKE_LSP_FOLDER" = '/work/beta' || source '…/beta-1a2b.sh'
// which does nothing when the terminal already has that folder's dev shell, and otherwise
// switches it: it removes every other flake's PATH entries and variables, then sets this
// folder's (as the Python extension types `source …/activate` into terminals). The line works
// in bash, zsh and fish; the script exists in a POSIX (bash, zsh) and a fish version.
import { addedEntries } from './environment';
import { EnvironmentParams } from './protocol';

export type ShellKind = 'posix' | 'fish';

/** Which script a shell sources, from its program's name; undefined: one we do not know. */
export function shellKind(program: string | undefined): ShellKind | undefined {
  const name = program?.split('/').pop()?.replace(/^-/, '');
  if (name === 'bash' || name === 'zsh' || name === 'sh' || name === 'dash') return 'posix';
  if (name === 'fish') return 'fish';
  return undefined;
}

function posixQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function fishQuote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export const MARKER = 'FLAKE_LSP_FOLDER';

/**
 * The script that turns a terminal holding any of `others`' dev shells into `target`'s, for
 * workspace folder `folder`. `hostPath` is the PATH the server inherited (see environment.ts).
 */
export function switchScript(
  kind: ShellKind,
  folder: string,
  target: EnvironmentParams,
  others: EnvironmentParams[],
  hostPath: string | undefined,
): string {
  const mine = addedEntries(target.set.PATH ?? '', hostPath ?? '');
  const theirs = [...new Set(others.flatMap((e) => addedEntries(e.set.PATH ?? '', hostPath ?? '')))];
  const names = Object.keys(target.set).filter((n) => n !== 'PATH' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(n));
  const drop = [
    ...new Set([...others.flatMap((e) => Object.keys(e.set)), ...target.unset].filter((n) => n !== 'PATH' && !(n in target.set))),
  ].filter((n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n));
  const lines = [`# flake-lsp: the dev shell of ${folder}, for a terminal that has another folder's.`];
  if (kind === 'posix') {
    lines.push(`export ${MARKER}=${posixQuote(folder)}`);
    if (drop.length > 0) lines.push(`unset ${drop.join(' ')}`);
    for (const n of names) lines.push(`export ${n}=${posixQuote(target.set[n])}`);
    lines.push('__flake_lsp_path=":$PATH:"');
    if (theirs.length > 0) {
      lines.push(
        `for __flake_lsp_e in ${theirs.map(posixQuote).join(' ')}; do`,
        '  while case "$__flake_lsp_path" in *:"$__flake_lsp_e":*) true;; *) false;; esac; do',
        '    __flake_lsp_path="${__flake_lsp_path%%:"$__flake_lsp_e":*}:${__flake_lsp_path#*:"$__flake_lsp_e":}"',
        '  done',
        'done',
      );
    }
    lines.push('__flake_lsp_path="${__flake_lsp_path#:}"', '__flake_lsp_path="${__flake_lsp_path%:}"');
    const prefix = mine.length > 0 ? posixQuote(mine.join(':') + ':') : "''";
    lines.push(`export PATH=${prefix}"$__flake_lsp_path"`, 'unset __flake_lsp_path __flake_lsp_e');
  } else {
    lines.push(`set -gx ${MARKER} ${fishQuote(folder)}`);
    for (const n of drop) lines.push(`set -e ${n}`);
    for (const n of names) lines.push(`set -gx ${n} ${fishQuote(target.set[n])}`);
    for (const entry of theirs) {
      lines.push(`while set -l i (contains -i -- ${fishQuote(entry)} $PATH)`, '  set -e PATH[$i]', 'end');
    }
    if (mine.length > 0) lines.push(`set -gx PATH ${mine.map(fishQuote).join(' ')} $PATH`);
  }
  return lines.join('\n') + '\n';
}

/** The line typed into the terminal: sources `script` unless it has `folder`'s shell already. */
export function guardLine(folder: string, script: string): string {
  // POSIX quoting is also valid fish here: paths hold no backslash in practice, and a leading
  // space keeps the line out of bash's and zsh's history (ignorespace) and fish's.
  return ` test "$${MARKER}" = ${posixQuote(folder)} || source ${posixQuote(script)}`;
}
