// Which flake each workspace folder belongs to, and the last environment of each flake.
import { promises as fs } from 'fs';
import * as path from 'path';
import { EnvironmentParams } from './protocol';

/** The nearest directory at or above `dir` holding a flake.nix (the server's rule). */
export async function findRoot(dir: string, exists = fileExists): Promise<string | undefined> {
  let current = dir;
  for (;;) {
    if (await exists(path.join(current, 'flake.nix'))) return current;
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

async function fileExists(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

async function real(p: string): Promise<string> {
  try {
    return await fs.realpath(p);
  } catch {
    return p;
  }
}

export class Flakes {
  /** Workspace folder path → its flake's root (real path, as the server reports it). */
  private folderRoots = new Map<string, string | undefined>();
  private envs = new Map<string, EnvironmentParams>();

  async setFolders(folders: string[]): Promise<void> {
    const next = new Map<string, string | undefined>();
    for (const folder of folders) {
      const root = await findRoot(await real(folder));
      next.set(folder, root);
    }
    this.folderRoots = next;
  }

  set(env: EnvironmentParams): void {
    this.envs.set(env.root, env);
  }

  get(root: string | undefined): EnvironmentParams | undefined {
    return root === undefined ? undefined : this.envs.get(root);
  }

  /** The flake of workspace folder `folder`. */
  rootOfFolder(folder: string): string | undefined {
    return this.folderRoots.get(folder);
  }

  /** The workspace folders whose flake is `root`. */
  foldersOf(root: string): string[] {
    return [...this.folderRoots].filter(([, r]) => r === root).map(([folder]) => folder);
  }

  /** The flakes of the workspace folders, then the others reported. */
  roots(): string[] {
    const out = new Set<string>();
    for (const root of this.folderRoots.values()) if (root) out.add(root);
    for (const root of this.envs.keys()) out.add(root);
    return [...out];
  }

  /** The flake `file` belongs to (the deepest known root holding it), else the first one. */
  rootFor(file: string | undefined): string | undefined {
    if (file) {
      const holding = this.roots()
        .filter((root) => file === root || file.startsWith(root + path.sep))
        .sort((a, b) => b.length - a.length);
      if (holding[0]) return holding[0];
      for (const [folder, root] of this.folderRoots) {
        if (root && (file === folder || file.startsWith(folder + path.sep))) return root;
      }
    }
    return this.roots()[0];
  }
}
