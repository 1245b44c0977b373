// Selects the dev shell's Python interpreter for each workspace folder: through the Python
// extension's API when `ms-python.python` is installed, else by writing
// `python.defaultInterpreterPath` into the folder's `.vscode/settings.json`.
//
// A choice made by hand is never overridden: we remember, per folder, the interpreter we last
// selected. When the folder's current interpreter is neither unset nor that one, the user
// picked it, and it stays. When the venv or the store path changes, the interpreter we
// selected is replaced by the new one.
import { promises as fs } from 'fs';
import * as path from 'path';
import { applyEdits, modify, parse } from 'jsonc-parser';
import { PythonInfo } from './protocol';

/** Where an interpreter is read and selected for a folder (the Python extension, or settings). */
export interface InterpreterTarget {
  readonly name: string;
  /** The folder's current interpreter; undefined when none was chosen. */
  current(folder: string): Promise<string | undefined>;
  select(folder: string, interpreter: string): Promise<void>;
}

/** Remembers what was selected per folder (the extension's workspace state). */
export interface Memory {
  get(key: string): string | undefined;
  update(key: string, value: string | undefined): PromiseLike<void>;
}

/** The interpreter the environment offers, or undefined (no Python, or a broken venv). */
export function wanted(python: PythonInfo | null | undefined): string | undefined {
  if (!python || python.broken) return undefined;
  return python.interpreter || undefined;
}

export type Decision = 'select' | 'keep-user-choice' | 'already';

/**
 * Whether to select `desired` given the folder's `current` interpreter and the one we selected
 * last (`lastSet`). Unset, or still ours, means ours to change.
 */
export function decide(current: string | undefined, lastSet: string | undefined, desired: string): Decision {
  if (current === desired) return 'already';
  if (current === undefined || current === '' || current === lastSet) return 'select';
  return 'keep-user-choice';
}

export class InterpreterSelector {
  constructor(
    private readonly target: () => Promise<InterpreterTarget> | InterpreterTarget,
    private readonly memory: Memory,
    private readonly log: (message: string) => void,
  ) {}

  private key(folder: string): string {
    return `flakeLsp.python.selected:${folder}`;
  }

  /** Selects `python`'s interpreter for `folder` unless the user chose another one. */
  async update(folder: string, python: PythonInfo | null | undefined): Promise<Decision | undefined> {
    const desired = wanted(python);
    if (!desired) return undefined;
    const target = await this.target();
    const lastSet = this.memory.get(this.key(folder));
    let current = await target.current(folder);
    // The Python extension always has an active interpreter; before we ever selected one for
    // this folder, its automatic choice is not a choice the user made.
    if (target.name === 'python-extension' && lastSet === undefined) current = undefined;
    const decision = decide(current, lastSet, desired);
    if (decision === 'select') {
      await target.select(folder, desired);
      this.log(`Python: selected ${desired} for ${folder} (${target.name})`);
    } else if (decision === 'keep-user-choice') {
      this.log(`Python: kept ${current} for ${folder}, chosen by hand (the dev shell offers ${desired})`);
      return decision;
    }
    await this.memory.update(this.key(folder), desired);
    return decision;
  }
}

/** The part of the Python extension's API used here (`@vscode/python-extension`). */
export interface PythonApi {
  environments: {
    getActiveEnvironmentPath(resource?: unknown): { path: string } | undefined;
    updateActiveEnvironmentPath(path: string, resource?: unknown): Promise<void>;
  };
}

export function pythonExtensionTarget(api: PythonApi, resource: (folder: string) => unknown): InterpreterTarget {
  return {
    name: 'python-extension',
    current: async (folder) => api.environments.getActiveEnvironmentPath(resource(folder))?.path,
    select: (folder, interpreter) => api.environments.updateActiveEnvironmentPath(interpreter, resource(folder)),
  };
}

const SETTING = 'python.defaultInterpreterPath';

/**
 * `python.defaultInterpreterPath` in `<folder>/.vscode/settings.json`, edited as JSON with
 * comments (kept). Written directly because VS Code refuses to write a setting no installed
 * extension declares.
 */
export function settingsFileTarget(): InterpreterTarget {
  const file = (folder: string) => path.join(folder, '.vscode', 'settings.json');
  const read = async (folder: string): Promise<string | undefined> => {
    try {
      return await fs.readFile(file(folder), 'utf8');
    } catch {
      return undefined;
    }
  };
  return {
    name: 'settings',
    current: async (folder) => {
      const text = await read(folder);
      const value: unknown = text === undefined ? undefined : parse(text)?.[SETTING];
      // `python` is the setting's default: no choice.
      return typeof value === 'string' && value !== 'python' ? value : undefined;
    },
    select: async (folder, interpreter) => {
      const text = (await read(folder)) ?? '{}\n';
      const edits = modify(text, [SETTING], interpreter, { formattingOptions: { insertSpaces: true, tabSize: 4 } });
      await fs.mkdir(path.dirname(file(folder)), { recursive: true });
      await fs.writeFile(file(folder), applyEdits(text, edits));
    },
  };
}
