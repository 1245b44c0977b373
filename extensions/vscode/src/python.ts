// Selects the dev shell's Python interpreter for each workspace folder: through the Python
// Environments extension's API when it is in charge (`ms-python.vscode-python-envs`, on when
// `python.useEnvironmentsExtension` is), else the Python extension's API (`ms-python.python`),
// else by writing `python.defaultInterpreterPath` into the folder's `.vscode/settings.json`.
//
// What counts as a choice made by hand:
// - With an extension's API (a target that reports changes), only a change it reported after our
//   selection had settled, to another interpreter than ours. Whatever else is there (the
//   extension's own default or automatic choice, its first-run migration of the user's
//   `python.defaultInterpreterPath`, what was selected before we ever selected) is replaced.
//   Right after selecting we read the interpreter back for a while and select ours again if
//   something overwrote it.
// - With the settings file (nothing reports changes): any other value than ours, since only
//   the user writes it.
// A choice made by hand stays, and the status item says so. When the venv or the store path
// changes, the interpreter we selected is replaced by the new one.
import { promises as fs } from 'fs';
import * as path from 'path';
import { applyEdits, modify, parse } from 'jsonc-parser';
import { PythonInfo } from './protocol';

export interface Disposable {
  dispose(): unknown;
}

/** Where an interpreter is read and selected for a folder (an extension's API, or settings). */
export interface InterpreterTarget {
  readonly name: string;
  /** The folder's current interpreter; undefined when none was chosen. */
  current(folder: string): Promise<string | undefined>;
  select(folder: string, interpreter: string): Promise<void>;
  /**
   * How `current` will name `interpreter` once selected, when the target names it otherwise (the
   * Environments extension resolves `…/bin/python3` to its environment's `…/bin/python`).
   */
  nameOf?(interpreter: string): Promise<string | undefined>;
  /** Reports changes of a folder's interpreter, whoever made them; absent when it cannot. */
  onDidChange?(listener: (folder: string | undefined, interpreter: string | undefined) => void): Disposable;
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
 * last (`lastSet`), for a target that cannot report changes: unset, or still ours, means ours
 * to change.
 */
export function decide(current: string | undefined, lastSet: string | undefined, desired: string): Decision {
  if (current === desired) return 'already';
  if (current === undefined || current === '' || current === lastSet) return 'select';
  return 'keep-user-choice';
}

/**
 * The same for a target that reports changes: only the interpreter seen being chosen by hand
 * (`byHand`) is kept.
 */
export function decideObserved(current: string | undefined, byHand: string | undefined, desired: string): Decision {
  if (current === desired) return 'already';
  if (byHand !== undefined && current === byHand) return 'keep-user-choice';
  return 'select';
}

export interface SelectorOptions {
  /** How long a selection must stay before it is settled (then changes are the user's). */
  settleMs?: number;
  /** How many times to select again when something overwrites ours while settling. */
  attempts?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Called when a folder's choice by hand appears or goes (the status item shows it). */
  onDidChangeChoice?: () => void;
}

export class InterpreterSelector {
  /** The interpreter each folder's dev shell offers, as last reported, and as the target names it. */
  private readonly offered = new Map<string, { desired: string; named: string }>();
  /** Folders whose selection is being made or checked: their changes are not the user's. */
  private readonly settling = new Set<string>();
  private readonly watched = new WeakSet<InterpreterTarget>();
  private readonly disposables: Disposable[] = [];
  private readonly settleMs: number;
  private readonly attempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly target: () => Promise<InterpreterTarget> | InterpreterTarget,
    private readonly memory: Memory,
    private readonly log: (message: string) => void,
    private readonly options: SelectorOptions = {},
  ) {
    this.settleMs = options.settleMs ?? 3000;
    this.attempts = options.attempts ?? 4;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  private key(folder: string): string {
    return `flakeLsp.python.selected:${folder}`;
  }

  private byHandKey(folder: string): string {
    return `flakeLsp.python.byHand:${folder}`;
  }

  /** The interpreter the user chose by hand for `folder` instead of the dev shell's, if any. */
  byHand(folder: string): string | undefined {
    return this.memory.get(this.byHandKey(folder));
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  /** Selects `python`'s interpreter for `folder` unless the user chose another one. */
  async update(folder: string, python: PythonInfo | null | undefined): Promise<Decision | undefined> {
    const desired = wanted(python);
    if (!desired) return undefined;
    const target = await this.target();
    this.watch(target);
    const named = (await target.nameOf?.(desired)) ?? desired;
    this.offered.set(folder, { desired, named });
    const current = await target.current(folder);
    const observed = target.onDidChange !== undefined;
    const decision = observed
      ? decideObserved(current, this.byHand(folder), named)
      : decide(current, this.memory.get(this.key(folder)), desired);
    if (decision === 'keep-user-choice') {
      this.log(`Python: kept ${current} for ${folder}, chosen by hand (the dev shell offers ${desired})`);
      await this.setByHand(folder, current);
      return decision;
    }
    if (decision === 'select') {
      if (current !== undefined && observed) this.log(`Python: ${current} is in use for ${folder}, not chosen by hand after ours: replacing it`);
      await this.selectAndCheck(target, folder, desired, named, observed);
    }
    await this.memory.update(this.key(folder), desired);
    await this.setByHand(folder, undefined);
    return decision;
  }

  /** Selects `desired`, then reads it back while it settles and selects it again if overwritten. */
  private async selectAndCheck(target: InterpreterTarget, folder: string, desired: string, named: string, observed: boolean): Promise<void> {
    this.settling.add(folder);
    try {
      for (let attempt = 1; ; attempt++) {
        await target.select(folder, desired);
        this.log(`Python: selected ${desired} for ${folder} (${target.name})`);
        if (!observed) return;
        await this.sleep(this.settleMs);
        const now = await target.current(folder);
        if (now === named) return;
        if (attempt >= this.attempts) {
          this.log(`Python: ${target.name} still uses ${now} for ${folder} after selecting ${desired} ${attempt} times; giving up`);
          return;
        }
        this.log(`Python: ${target.name} replaced ${desired} with ${now} for ${folder}; selecting it again`);
      }
    } finally {
      this.settling.delete(folder);
    }
  }

  /** Follows the target's changes: one after ours settled, to another interpreter, is the user's. */
  private watch(target: InterpreterTarget): void {
    if (!target.onDidChange || this.watched.has(target)) return;
    this.watched.add(target);
    this.disposables.push(target.onDidChange((folder, interpreter) => void this.observed(folder, interpreter)));
  }

  /** A change the target reported (exposed for tests). */
  async observed(folder: string | undefined, interpreter: string | undefined): Promise<void> {
    if (folder === undefined || this.settling.has(folder)) return;
    const offered = this.offered.get(folder);
    if (offered === undefined || this.memory.get(this.key(folder)) !== offered.desired) return; // ours never settled here
    const desired = offered.desired;
    if (interpreter === offered.named || interpreter === desired || !interpreter) {
      if (this.byHand(folder) !== undefined) {
        this.log(`Python: ${folder} is back on the dev shell's ${desired}`);
        await this.setByHand(folder, undefined);
      }
      return;
    }
    if (this.byHand(folder) === interpreter) return;
    this.log(`Python: ${interpreter} chosen by hand for ${folder} (the dev shell offers ${desired}); it stays`);
    await this.setByHand(folder, interpreter);
  }

  private async setByHand(folder: string, interpreter: string | undefined): Promise<void> {
    if (this.byHand(folder) === interpreter) return;
    await this.memory.update(this.byHandKey(folder), interpreter);
    this.options.onDidChangeChoice?.();
  }
}

/** The part of the Python extension's API used here (`@vscode/python-extension`). */
export interface PythonApi {
  /** Resolves once the extension has finished starting (its first-run migration among it). */
  ready?: PromiseLike<void>;
  environments: {
    getActiveEnvironmentPath(resource?: unknown): { path: string } | undefined;
    updateActiveEnvironmentPath(path: string, resource?: unknown): Promise<void>;
    onDidChangeActiveEnvironmentPath?(
      listener: (e: { path: string; resource?: { uri?: { fsPath: string } } | { fsPath: string } | null }) => void,
    ): Disposable;
  };
}

/** Whether `promise` settles (either way) within `ms`; no timer is left behind. */
export async function settlesWithin(promise: PromiseLike<unknown> | undefined, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([Promise.resolve(promise).then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The folder a resource of the Python extension's events names (a workspace folder or a Uri). */
function resourceFolder(resource: { uri?: { fsPath: string } } | { fsPath: string } | null | undefined): string | undefined {
  if (!resource) return undefined;
  return 'fsPath' in resource ? resource.fsPath : resource.uri?.fsPath;
}

export function pythonExtensionTarget(api: PythonApi, resource: (folder: string) => unknown): InterpreterTarget {
  const events = api.environments.onDidChangeActiveEnvironmentPath?.bind(api.environments);
  return {
    name: 'python-extension',
    current: async (folder) => api.environments.getActiveEnvironmentPath(resource(folder))?.path,
    select: (folder, interpreter) => api.environments.updateActiveEnvironmentPath(interpreter, resource(folder)),
    onDidChange: events && ((listener) => events((e) => listener(resourceFolder(e.resource), e.path))),
  };
}

/** The part of a Python Environments extension environment used here. */
export interface EnvsEnvironment {
  environmentPath?: { fsPath: string };
  execInfo?: { run?: { executable?: string } };
}

/**
 * The part of the Python Environments extension's API used here (`ms-python.vscode-python-envs`
 * 1.2.0, its src/api.ts: `PythonEnvironmentsApi` and `PythonProjectEnvironmentApi`).
 */
export interface EnvsApi {
  resolveEnvironment(context: unknown): Promise<EnvsEnvironment | undefined>;
  setEnvironment(scope: unknown, environment?: EnvsEnvironment): Promise<void>;
  getEnvironment(scope: unknown): Promise<EnvsEnvironment | undefined>;
  onDidChangeEnvironment?(listener: (e: { uri?: { fsPath: string }; new?: EnvsEnvironment }) => void): Disposable;
}

export function isEnvsApi(api: unknown): api is EnvsApi {
  const a = api as Partial<EnvsApi> | undefined;
  return typeof a?.resolveEnvironment === 'function' && typeof a.setEnvironment === 'function' && typeof a.getEnvironment === 'function';
}

/** The interpreter an environment runs. */
export function executableOf(env: EnvsEnvironment | undefined): string | undefined {
  return env?.execInfo?.run?.executable ?? env?.environmentPath?.fsPath;
}

/** `uri` makes a `vscode.Uri` of a path. */
export function envsExtensionTarget(api: EnvsApi, uri: (path: string) => unknown): InterpreterTarget {
  const events = api.onDidChangeEnvironment?.bind(api);
  return {
    name: 'python-environments-extension',
    current: async (folder) => executableOf(await api.getEnvironment(uri(folder))),
    nameOf: async (interpreter) => executableOf(await api.resolveEnvironment(uri(interpreter))),
    select: async (folder, interpreter) => {
      const env = await api.resolveEnvironment(uri(interpreter));
      if (!env) throw new Error(`the Python Environments extension cannot resolve ${interpreter}`);
      await api.setEnvironment(uri(folder), env);
    },
    onDidChange: events && ((listener) => events((e) => listener(e.uri?.fsPath, executableOf(e.new)))),
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
