// Git Data API trees built in-process: a base tree with changes applied, the result the same tree
// git gives for it through an index (every file of the base listed into `update-index`, the
// changes applied, `write-tree`). Only the directories on changed paths are read and rewritten;
// the rest keeps its ids. That is exact for a "plain" tree, one a rebuild through the index leaves
// unchanged (git's modes and order, names the index takes, no empty subtree), which is checked once
// per tree id. Anything else is answered undefined: the caller then asks git.
import {
  compareEntries,
  encodeTree,
  isPlainName,
  isUtf8,
  type RawTreeEntry,
  WRITTEN_MODES,
} from "./git-tree-format";

/** One change: `sha: null` deletes `path` (a file or a whole directory). */
export interface TreeChange {
  path: string;
  mode: string;
  type: "blob" | "tree" | "commit";
  sha: string | null;
}

export interface TreeStore {
  /** The entries of tree `sha`; rejects when it is no tree. */
  readTree(sha: string): Promise<RawTreeEntry[]>;
  /** Stores a tree object; resolves to its id. */
  writeTree(content: Buffer): Promise<string>;
}

interface Verdict {
  plain: boolean;
  empty: boolean;
}

type Node = { kind: "file"; mode: string; sha: string } | { kind: "tree"; sha: string } | Dir;
/** A directory being edited; `sha` while it still equals the tree it was read from. */
interface Dir {
  kind: "dir";
  children: Map<string, Node>;
  sha?: string;
}

const SHA = /^[0-9a-f]{40}$/;
const FILE_MODES: Record<TreeChange["type"], string[]> = {
  blob: ["100644", "100755", "120000"],
  commit: ["160000"],
  tree: ["040000", "40000"],
};

export class TreeBuilder {
  /** Objects never change, so neither does a tree's verdict. */
  private readonly verdicts = new Map<string, Promise<Verdict>>();

  constructor(private readonly store: TreeStore) {}

  /** The new tree's id, or undefined when a tree or change involved is not plain. */
  async build(base: string | undefined, changes: readonly TreeChange[]): Promise<string | undefined> {
    const plans: { keys: string[]; change: TreeChange; empty: boolean }[] = [];
    for (const change of changes) {
      const parts = Buffer.from(change.path, "utf8")
        .toString("latin1")
        .split("/")
        .map((p) => Buffer.from(p, "latin1"));
      // A deletion puts nothing into the index: only what is added must be plain.
      const plainPath = parts.every((p) => isPlainName(p));
      if (
        change.sha !== null &&
        (!plainPath || !SHA.test(change.sha) || !FILE_MODES[change.type].includes(change.mode))
      )
        return undefined;
      let empty = false;
      if (change.type === "tree" && change.sha !== null) {
        const verdict = await this.verdict(change.sha);
        if (!verdict.plain) return undefined;
        empty = verdict.empty;
      }
      plans.push({ keys: parts.map((p) => p.toString("latin1")), change, empty });
    }
    if (base !== undefined && !(await this.verdict(base)).plain) return undefined;
    const root: Dir = base === undefined ? { kind: "dir", children: new Map() } : await this.expand(base);
    for (const plan of plans) await this.apply(root, plan.keys, plan.change, plan.empty);
    return (await this.serialize(root, true)) as string;
  }

  /** Whether rebuilding `sha` through the index gives `sha` again, and whether it is empty. */
  private verdict(sha: string): Promise<Verdict> {
    let found = this.verdicts.get(sha);
    if (!found) {
      found = this.judge(sha);
      this.verdicts.set(sha, found);
      found.catch(() => this.verdicts.delete(sha));
    }
    return found;
  }

  private async judge(sha: string): Promise<Verdict> {
    const entries = await this.store.readTree(sha);
    const names = new Set<string>();
    let previous: RawTreeEntry | undefined;
    const subtrees: string[] = [];
    for (const entry of entries) {
      const name = entry.name.toString("latin1");
      const plain =
        WRITTEN_MODES.has(entry.mode) &&
        isUtf8(entry.name) &&
        isPlainName(entry.name) &&
        !names.has(name) &&
        (!previous || compareEntries(previous, entry) < 0);
      if (!plain) return { plain: false, empty: false };
      names.add(name);
      previous = entry;
      if (entry.mode === "40000") subtrees.push(entry.sha);
    }
    const inner = await Promise.all(subtrees.map((s) => this.verdict(s)));
    return { plain: inner.every((v) => v.plain && !v.empty), empty: entries.length === 0 };
  }

  private async expand(sha: string): Promise<Dir> {
    const children = new Map<string, Node>();
    for (const e of await this.store.readTree(sha)) {
      const node: Node =
        e.mode === "40000" ? { kind: "tree", sha: e.sha } : { kind: "file", mode: e.mode, sha: e.sha };
      children.set(e.name.toString("latin1"), node);
    }
    return { kind: "dir", children, sha };
  }

  /** The directory `child` of `dir`, read if it is still a tree id; undefined for none or a file. */
  private async subdir(dir: Dir, key: string): Promise<Dir | undefined> {
    const child = dir.children.get(key);
    if (!child || child.kind === "file") return undefined;
    if (child.kind === "dir") return child;
    const expanded = await this.expand(child.sha);
    dir.children.set(key, expanded);
    return expanded;
  }

  /** As the index would: remove whatever is at the path, then put the file or tree there. */
  private async apply(root: Dir, keys: string[], change: TreeChange, empty: boolean): Promise<void> {
    const parents = keys.slice(0, -1);
    const last = keys[keys.length - 1] ?? "";
    let dir: Dir | undefined = root;
    const trail: Dir[] = [root];
    for (const key of parents) {
      dir = await this.subdir(dir, key);
      if (!dir) break;
      trail.push(dir);
    }
    if (dir?.children.delete(last)) for (const d of trail) delete d.sha;
    if (change.sha === null) return;
    // A file where a directory of the path must be gives way to it.
    dir = root;
    trail.length = 1;
    for (const key of parents) {
      let next: Dir | undefined = await this.subdir(dir, key);
      if (!next) {
        next = { kind: "dir", children: new Map() };
        dir.children.set(key, next);
      }
      dir = next;
      trail.push(dir);
    }
    if (change.type === "tree") {
      // An empty tree adds nothing: the index holds files, not directories.
      if (!empty) dir.children.set(last, { kind: "tree", sha: change.sha });
    } else dir.children.set(last, { kind: "file", mode: change.mode, sha: change.sha });
    for (const d of trail) delete d.sha;
  }

  /** Writes `dir` and the directories in it that changed; undefined for an empty one (not the root). */
  private async serialize(dir: Dir, root: boolean): Promise<string | undefined> {
    if (dir.sha) return dir.sha;
    const entries = await Promise.all(
      [...dir.children].map(async ([key, node]): Promise<RawTreeEntry | undefined> => {
        const name = Buffer.from(key, "latin1");
        if (node.kind === "file") return { mode: node.mode, name, sha: node.sha };
        const sha = node.kind === "tree" ? node.sha : await this.serialize(node, false);
        return sha === undefined ? undefined : { mode: "40000", name, sha };
      }),
    );
    const kept = entries.filter((e): e is RawTreeEntry => e !== undefined);
    if (kept.length === 0 && !root) return undefined;
    const sha = await this.store.writeTree(encodeTree(kept));
    // Built from plain parts in git's order: plain by construction.
    this.verdicts.set(sha, Promise.resolve({ plain: true, empty: kept.length === 0 }));
    return sha;
  }
}
