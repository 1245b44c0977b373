// `flakeLsp.environment.extensionHost` (off by default): the dev shell in the extension host's
// own `process.env`, which every extension shares, so the tools other extensions start
// (linters, formatters, test runners, language servers) find the dev shell's programs.
//
// One extension host serves the whole window, so one flake decides: the first workspace
// folder's. What the dev shell unsets is removed; what it sets replaces the value (PATH
// included: the server's PATH already ends with ours). Tools that other extensions started
// before keep the environment they started with: when what we applied differs from what the
// extension host started with, we offer "Restart extensions", as direnv's extension does.
// Turning the option off restores the variables as they were.
import { EnvironmentParams } from './protocol';

export type Env = Record<string, string | undefined>;

/** The changes that turn `current` into `env`'s environment: a value, or undefined to remove. */
export function changes(env: EnvironmentParams): Env {
  const out: Env = {};
  for (const [name, value] of Object.entries(env.set)) out[name] = value;
  for (const name of env.unset) out[name] = undefined;
  return out;
}

/** A short fingerprint of an environment's changes, to tell whether they changed. */
export function fingerprint(env: EnvironmentParams | undefined): string {
  if (!env) return '';
  const c = changes(env);
  return JSON.stringify(Object.keys(c).sort().map((k) => [k, c[k] ?? null]));
}

/** Applies and undoes one environment on a process environment, remembering what it replaced. */
export class HostEnvironment {
  /** The values before we changed them (undefined: the variable was absent). */
  private readonly original = new Map<string, string | undefined>();
  private applied = '';

  constructor(private readonly target: Env) {}

  /** Applies `env` (undefined: restore everything). Returns whether anything changed. */
  apply(env: EnvironmentParams | undefined): boolean {
    const key = fingerprint(env);
    if (key === this.applied) return false;
    this.restore();
    this.applied = key;
    if (!env) return true;
    for (const [name, value] of Object.entries(changes(env))) {
      if (!this.original.has(name)) this.original.set(name, this.target[name]);
      if (value === undefined) delete this.target[name];
      else this.target[name] = value;
    }
    return true;
  }

  /** What is applied now ('' when nothing). */
  current(): string {
    return this.applied;
  }

  private restore(): void {
    for (const [name, value] of this.original) {
      if (value === undefined) delete this.target[name];
      else this.target[name] = value;
    }
    this.original.clear();
  }
}
