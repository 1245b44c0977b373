// The dev shell as a dotenv file for the Python extension, which applies `python.envFile` to
// runs, tests, debug sessions and notebooks (terminals get the environment from environment.ts).
//
// The file is written outside the workspace (the extension's storage), one per workspace
// folder, and the folder's `python.envFile` is pointed at it unless the user set one or keeps
// a `.env` of their own there (the setting's default): theirs is never replaced.
//
// The encoding follows the Python extension's own reader (`parseEnvFile`, vscode-python
// src/client/common/variables/environment.ts): one `NAME=value` per line; a value in double
// quotes loses them and has `\n` turned into a newline; `${NAME}` is substituted unless a
// backslash precedes it, after which every `\$` becomes `$`. So every `$` is written `\$`, a
// value with a newline is quoted with its newlines as `\n`, and one that cannot be written
// exactly (a newline and a literal `\n` together) is left out and named in the log.
//
// PATH: the Python extension appends a file's PATH to the one it has rather than replacing it,
// so only the entries the dev shell adds are written.
import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import { addedEntries } from './environment';

/** `NAME=value` as the Python extension reads it back exactly, or undefined when it cannot. */
export function dotenvLine(name: string, value: string): string | undefined {
  if (!/^_*[a-zA-Z]\w*$/.test(name)) return undefined;
  if (value.includes('\r')) return undefined;
  const escaped = value.replace(/\$/g, '\\$');
  if (value.includes('\n')) {
    // Quoted, `\n` is the newline: a literal backslash-n could not be told apart.
    if (value.includes('\\n')) return undefined;
    return `${name}="${escaped.replace(/\n/g, '\\n')}"`;
  }
  // Unquoted values lose surrounding blanks and, when they start and end with a quote, the
  // quotes: quote those (inside quotes only `\n` is special).
  const needsQuotes = /^\s|\s$/.test(value) || /^(["']).*\1$/s.test(value) || value === '"' || value === "'";
  if (needsQuotes) {
    if (value.includes('\\n')) return undefined;
    return `${name}="${escaped}"`;
  }
  return `${name}=${escaped}`;
}

export interface Dotenv {
  text: string;
  /** Variables that could not be written exactly. */
  skipped: string[];
}

/** The dotenv text of an environment's variables; `hostPath` as in environment.ts's `plan`. */
export function dotenv(set: Record<string, string>, hostPath: string | undefined, header: string): Dotenv {
  const lines = [`# ${header}`, '# Written by flake-lsp for python.envFile; rewritten when the dev shell changes.'];
  const skipped: string[] = [];
  for (const name of Object.keys(set).sort()) {
    const value = name === 'PATH' ? addedEntries(set[name], hostPath ?? '').join(':') : set[name];
    if (name === 'PATH' && value === '') continue;
    const line = dotenvLine(name, value);
    if (line === undefined) skipped.push(name);
    else lines.push(line);
  }
  return { text: lines.join('\n') + '\n', skipped };
}

/** A file of workspace folder `folder` inside `storage`/`dir`, named after it: `name-hash.ext`. */
export function folderFile(storage: string, dir: string, folder: string, ext: string): string {
  const hash = createHash('sha256').update(folder).digest('hex').slice(0, 12);
  return path.join(storage, dir, `${path.basename(folder) || 'root'}-${hash}.${ext}`);
}

/** Where the dotenv file of workspace folder `folder` goes, inside `storage`. */
export function envFilePath(storage: string, folder: string): string {
  return folderFile(storage, 'envfiles', folder, 'env');
}

/** Writes `text` to `file` through a temporary file, so a reader never sees half of it. */
export async function writeAtomically(file: string, text: string): Promise<boolean> {
  const old = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (old === text) return false;
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, text, { mode: 0o600 });
  await fs.rename(tmp, file);
  return true;
}

export type EnvFileDecision = 'point' | 'already' | 'user-setting' | 'user-dotenv';

/**
 * Whether `value` is a file flake-lsp wrote, on this machine or another: a settings file
 * committed by a teammate holds their path, which is replaced, not kept as a choice.
 */
export function isOurs(value: string): boolean {
  return /[\\/]flake-lsp[^\\/]*[\\/]envfiles[\\/][^\\/]+-[0-9a-f]{12}\.env$/.test(value);
}

/**
 * Whether to point the folder's `python.envFile` at `ours`: `explicit` is a value set in any
 * settings scope (user, workspace, folder), `hasDotenv` whether the folder has a `.env`.
 */
export function decideEnvFile(explicit: string | undefined, ours: string, hasDotenv: boolean): EnvFileDecision {
  if (explicit === ours) return 'already';
  if (explicit !== undefined && isOurs(explicit)) return 'point';
  if (explicit !== undefined) return 'user-setting';
  if (hasDotenv) return 'user-dotenv';
  return 'point';
}
