// Puts a flake's environment into the integrated terminals of its workspace folders, through
// the folder-scoped environment variable collections.
//
// What the API allows, and what we do:
// - Set variables are `replace`d. PATH is `prepend`ed with only the entries the dev shell adds
//   (the server's PATH holds the shell's entries first, then the PATH the server inherited from
//   us, which a terminal has already): the user's own PATH entries and whatever their shell's
//   rc files add stay.
// - The user's rc files run after the process is created, and most Python developers' put
//   something first on PATH (`pyenv init`, conda, ~/.local/bin). So PATH is prepended twice:
//   when the process is created (for shells without shell integration) and again by VS Code's
//   shell integration script, which runs after the rc files in bash, zsh and fish
//   (`applyAtShellIntegration`). The dev shell's entries then come first, once more; the
//   duplicates later on PATH change nothing. Without shell integration (turned off, or a shell
//   it does not support) the rc files' entries come first, and the status tooltip says so.
//   Other variables are set only when the process is created: rc files seldom touch them, and
//   the shell integration scripts pass values through `echo -e` and `read` line by line, which
//   would mangle backslashes and newlines.
// - A variable the environment no longer sets is dropped from the collection, so new terminals
//   stop getting it.
// - A variable the dev shell *unsets* cannot be removed from a terminal's environment by a
//   collection (there is no "unset" mutator, and an empty value is not the same thing): it is
//   left alone. The "Enter environment" terminal does remove them (see terminal.ts).
// - Terminals already open cannot change their environment: VS Code marks them for relaunch.
// - Nothing is applied while there is no usable environment (realising the first time,
//   failed, untrusted): new terminals then get the user's plain environment.
import type * as vscode from 'vscode';
import { EnvironmentParams, flakeName } from './protocol';

export interface Mutations {
  replace: Record<string, string>;
  prepend: Record<string, string>;
}

/** Applied when the process is created and again after the rc files (see the top). */
export const AFTER_RC_FILES = { applyAtProcessCreation: true, applyAtShellIntegration: true };

/** Whether the shell integration scripts carry `value` unchanged (no backslash, no newline). */
export function survivesShellIntegration(value: string): boolean {
  return !/[\\\n\r]/.test(value);
}

const PATH_LIKE = ['PATH'];

/** Whether `env` carries variables worth putting into terminals. */
export function usable(env: EnvironmentParams | undefined): env is EnvironmentParams {
  return !!env && (env.state === 'ready' || env.state === 'stale') && Object.keys(env.set).length > 0;
}

/**
 * The mutations that turn a terminal's environment into the dev shell's. `hostPath` is the
 * PATH the server inherited (the extension host's), which the server's PATH ends with.
 */
export function plan(set: Record<string, string>, hostPath: string | undefined): Mutations {
  const out: Mutations = { replace: {}, prepend: {} };
  for (const [name, value] of Object.entries(set)) {
    if (PATH_LIKE.includes(name)) {
      const added = addedEntries(value, hostPath ?? '');
      if (added.length > 0) out.prepend[name] = added.join(':') + ':';
    } else {
      out.replace[name] = value;
    }
  }
  return out;
}

/** The entries of `full` that the dev shell put before `host`. */
export function addedEntries(full: string, host: string): string[] {
  const entries = full.split(':').filter((e) => e !== '');
  if (host !== '' && full.endsWith(':' + host)) {
    return full.slice(0, full.length - host.length - 1).split(':').filter((e) => e !== '');
  }
  const known = new Set(host.split(':'));
  const seen = new Set<string>();
  return entries.filter((e) => !known.has(e) && !seen.has(e) && seen.add(e));
}

export function description(env: EnvironmentParams): string {
  const shell = env.shell ?? 'dev shell';
  const stale = env.state === 'stale' ? ` (stale: ${env.error ?? 'being realised again'})` : '';
  return `Nix dev shell ${shell} of the flake ${flakeName(env.root)} (${env.root})${stale}`;
}

/** The part of `vscode.EnvironmentVariableCollection` used here (tests pass a fake). */
export type Collection = Pick<
  vscode.EnvironmentVariableCollection,
  'replace' | 'prepend' | 'clear' | 'description' | 'persistent'
>;

/**
 * Applies `env` to `collection` (or clears it when `env` is not usable). Returns whether
 * anything changed, so unchanged environments do not mark terminals for relaunch.
 */
export class Applier {
  private applied = new WeakMap<Collection, string>();

  constructor(private readonly hostPath: string | undefined) {}

  apply(collection: Collection, env: EnvironmentParams | undefined, extra: Record<string, string> = {}): boolean {
    const mutations = usable(env) ? plan(env.set, this.hostPath) : undefined;
    if (mutations) Object.assign(mutations.replace, extra);
    const key = JSON.stringify(mutations && env ? [mutations, description(env)] : null);
    if (this.applied.get(collection) === key) return false;
    this.applied.set(collection, key);
    collection.clear();
    collection.persistent = true;
    if (!mutations || !env) {
      collection.description = undefined;
      return true;
    }
    for (const [name, value] of Object.entries(mutations.replace)) collection.replace(name, value);
    for (const [name, value] of Object.entries(mutations.prepend)) {
      collection.prepend(name, value, survivesShellIntegration(value) ? AFTER_RC_FILES : undefined);
    }
    collection.description = description(env);
    return true;
  }
}
