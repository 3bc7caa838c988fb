// Git Data API semantics on a real bare repository: blobs, trees built on a base tree (adds, mode
// changes, deletions), commits, refs and diff stats. The REST routes are thin wrappers over this, so
// object ids match what GitHub itself would compute. Reads go through one long-lived cat-file;
// blobs, trees and commits are written in-process, byte for byte what git writes (git-*.test.ts
// proves it against git's own plumbing); refs move through one long-lived update-ref; ancestry and
// diffs are git runs.
import { CatFile } from "./git-cat-file";
import { GitError, runGit } from "./git-cli";
import { encodeCommit } from "./git-commit-format";
import { writeLooseObject } from "./git-loose";
import { buildTreeWithIndex, commitTreeWithGit } from "./git-plumbing";
import type { GitSpawner } from "./git-spawner";
import { TreeBuilder, type TreeChange } from "./git-tree-build";
import { entryType, lsTreeMode, parseTree, type RawTreeEntry } from "./git-tree-format";
import { RefUpdater } from "./git-update-ref";

export type { TreeChange } from "./git-tree-build";

export type ObjectType = "blob" | "tree" | "commit" | "tag";

export interface Identity {
  name: string;
  email: string;
  /** ISO 8601. */
  date: string;
}

export interface CommitInfo {
  sha: string;
  tree: string;
  parents: string[];
  author: Identity;
  committer: Identity;
  message: string;
}

export interface TreeItem {
  path: string;
  mode: string;
  type: "blob" | "tree" | "commit";
  sha: string;
  size?: number;
}

const SHA = /^[0-9a-f]{40}$/;

/** A bare repository on disk and the plumbing the REST routes need. */
export class BareRepo {
  private readonly cat: CatFile;
  private readonly trees: TreeBuilder;
  private readonly refs: RefUpdater;

  constructor(
    readonly dir: string,
    readonly home: string,
    /** Starts the git runs, from a small process, when given. */
    private readonly spawner?: GitSpawner,
  ) {
    this.cat = new CatFile(dir, home);
    this.refs = new RefUpdater(dir, home);
    this.trees = new TreeBuilder({
      readTree: async (sha) => parseTree(await this.read(sha, "tree")),
      writeTree: (content) => this.write("tree", content),
    });
  }

  /** Runs git against this repository; resolves to stdout. */
  run(args: readonly string[], input?: string | Buffer, env?: Record<string, string>): Promise<Buffer> {
    return runGit(this.dir, args, { home: this.home, input, env, spawner: this.spawner });
  }

  async text(
    args: readonly string[],
    input?: string | Buffer,
    env?: Record<string, string>,
  ): Promise<string> {
    return (await this.run(args, input, env)).toString("utf8").trim();
  }

  /** Ends the reading and ref-updating processes. */
  async close(): Promise<void> {
    await Promise.all([this.cat.close(), this.refs.close()]);
  }

  /** The type of object `sha`, or undefined when the repository has no such object. */
  async objectType(sha: string): Promise<ObjectType | undefined> {
    if (!SHA.test(sha)) return undefined;
    return (await this.cat.info(sha))?.type as ObjectType | undefined;
  }

  /** The types of objects `shas` (undefined for an id the repository does not have). */
  objectTypes(shas: readonly string[]): Promise<(ObjectType | undefined)[]> {
    return Promise.all(shas.map((sha) => this.objectType(sha)));
  }

  /** Stores `content` as a blob; resolves to its id. */
  writeBlob(content: Buffer): Promise<string> {
    return this.write("blob", content);
  }

  /** The bytes of blob `sha`. */
  readBlob(sha: string): Promise<Buffer> {
    return this.read(sha, "blob");
  }

  /** The commit a full ref name (`refs/heads/main`) points at, or undefined. */
  async resolveRef(ref: string): Promise<string | undefined> {
    return (await this.cat.info(`${ref}^{commit}`))?.sha;
  }

  /** Every ref under `prefix` (e.g. `refs/heads/`) with its object id. */
  async listRefs(prefix: string): Promise<{ ref: string; sha: string }[]> {
    const out = await this.text(["for-each-ref", "--format=%(refname) %(objectname)", prefix]);
    return out
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [ref = "", sha = ""] = line.split(" ");
        return { ref, sha };
      });
  }

  /** Parses commit `sha`. */
  async readCommit(sha: string): Promise<CommitInfo> {
    const raw = (await this.read(sha, "commit")).toString("utf8");
    const split = raw.indexOf("\n\n");
    const header = raw.slice(0, split < 0 ? raw.length : split).split("\n");
    const field = (name: string) =>
      header.filter((l) => l.startsWith(`${name} `)).map((l) => l.slice(name.length + 1));
    return {
      sha,
      tree: field("tree")[0] ?? "",
      parents: field("parent"),
      author: parseIdentity(field("author")[0] ?? ""),
      committer: parseIdentity(field("committer")[0] ?? ""),
      message: split < 0 ? "" : raw.slice(split + 2),
    };
  }

  /** The tree `treeish` names (a tree, a commit, `main:src`), or undefined. */
  async resolveTree(treeish: string): Promise<string | undefined> {
    return (await this.cat.info(`${treeish}^{tree}`))?.sha;
  }

  /**
   * Entries of tree `sha` as `ls-tree -l` lists them (canonical modes, blob sizes); `recursive`
   * includes subtrees and their contents, each tree before what it holds (`-r -t`), like GitHub.
   */
  async listTree(sha: string, recursive: boolean): Promise<TreeItem[]> {
    const walk = async (tree: string, prefix: string): Promise<TreeItem[]> => {
      const entries = parseTree(await this.read(tree, "tree"));
      const lists = await Promise.all(entries.map((e) => this.item(e, prefix, recursive ? walk : undefined)));
      return lists.flat();
    };
    return walk(sha, "");
  }

  private async item(
    entry: RawTreeEntry,
    prefix: string,
    walk: ((tree: string, prefix: string) => Promise<TreeItem[]>) | undefined,
  ): Promise<TreeItem[]> {
    const path = prefix + entry.name.toString("utf8");
    const item: TreeItem = {
      path,
      mode: lsTreeMode(entry.mode),
      type: entryType(entry.mode),
      sha: entry.sha,
    };
    if (item.type === "blob") {
      const info = await this.cat.info(entry.sha);
      if (!info)
        throw new GitError(["ls-tree", "-l"], 128, `fatal: could not get object info about '${entry.sha}'`);
      item.size = info.size;
    }
    if (item.type !== "tree" || !walk) return [item];
    return [item, ...(await walk(entry.sha, `${path}/`))];
  }

  /** Writes a tree: the base tree's files (if any) with `changes` applied; resolves to its id. */
  async buildTree(baseTree: string | undefined, changes: readonly TreeChange[]): Promise<string> {
    return (await this.trees.build(baseTree, changes)) ?? buildTreeWithIndex(this, baseTree, changes);
  }

  /** Writes a commit object, refusing a tree or parent that is not one, as commit-tree does; resolves to its id. */
  async commitTree(input: {
    tree: string;
    parents: string[];
    message: string;
    author: Identity;
    committer: Identity;
  }): Promise<string> {
    const ids = [input.tree, ...input.parents];
    const encoded = ids.every((id) => SHA.test(id)) ? encodeCommit(input) : undefined;
    if (!encoded) return commitTreeWithGit(this, input);
    const [treeType, ...parentTypes] = await this.objectTypes(ids);
    const notA = (sha: string, type: string) =>
      new GitError(["commit-tree", input.tree], 128, `fatal: ${sha} is not a valid '${type}' object`);
    if (treeType !== "tree") throw notA(input.tree, "tree");
    const parent = input.parents.find((_, i) => parentTypes[i] !== "commit");
    if (parent !== undefined) throw notA(parent, "commit");
    return this.write("commit", encoded);
  }

  /** Whether `git check-ref-format` takes `ref`; names plainly valid are not sent to git. */
  async isValidRefName(ref: string): Promise<boolean> {
    if (isPlainRefName(ref)) return true;
    return this.run(["check-ref-format", ref]).then(
      () => true,
      () => false,
    );
  }

  /** Points `ref` at `sha`; `expectOld` "" means the ref must not exist yet. False when that check fails. */
  setRef(ref: string, sha: string, expectOld?: string): Promise<boolean> {
    return this.refs.update(ref, sha, expectOld);
  }

  /** Removes `ref` (a full name). */
  deleteRef(ref: string): Promise<void> {
    return this.refs.delete(ref);
  }

  /** True when `ancestor` is reachable from `descendant` (a fast-forward). */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    return this.run(["merge-base", "--is-ancestor", ancestor, descendant]).then(
      () => true,
      () => false,
    );
  }

  /** What a pull request from `head` into `base` changes, counted like GitHub (three-dot diff). */
  async diffStats(base: string, head: string) {
    const [numstat, count] = await Promise.all([
      this.text(["diff", "--numstat", "-z", `${base}...${head}`]),
      this.text(["rev-list", "--count", `${base}..${head}`]),
    ]);
    let additions = 0;
    let deletions = 0;
    let changedFiles = 0;
    for (const record of numstat.split("\0").filter((r) => /^(\d+|-)\t(\d+|-)\t/.test(r))) {
      const [added = "0", deleted = "0"] = record.split("\t");
      additions += Number(added) || 0;
      deletions += Number(deleted) || 0;
      changedFiles++;
    }
    return { additions, deletions, changedFiles, commits: Number(count) };
  }

  /** The bytes of object `sha`, which must be of `type`. */
  private async read(sha: string, type: ObjectType): Promise<Buffer> {
    const found = SHA.test(sha) ? await this.cat.contents(sha) : undefined;
    if (found?.type !== type || !found.content)
      throw new GitError(["cat-file", type, sha], 128, `fatal: ${sha} is not a ${type} in ${this.dir}`);
    return found.content;
  }

  private write(type: "blob" | "tree" | "commit", content: Buffer): Promise<string> {
    return writeLooseObject(this.dir, type, content, async (sha) => (await this.cat.info(sha)) !== undefined);
  }
}

/**
 * A ref name check-ref-format certainly takes: components of letters, digits, `-`, `_` and `.`,
 * none empty, none starting with `.` or ending in `.lock`, no `..`, not ending in `.`, with a `/`.
 * (The characters git refuses, `@{` and the like are not in that alphabet at all.)
 */
export function isPlainRefName(ref: string): boolean {
  if (!/^[A-Za-z0-9_./-]+$/.test(ref) || ref.includes("..") || ref.endsWith(".")) return false;
  const parts = ref.split("/");
  return parts.length >= 2 && parts.every((p) => p !== "" && !p.startsWith(".") && !p.endsWith(".lock"));
}

/** `Name <email> 1700000000 +0000` → name, email and ISO date (UTC, seconds). */
function parseIdentity(line: string): Identity {
  const match = /^(.*) <(.*)> (\d+) ([+-]\d{4})$/.exec(line);
  if (!match) return { name: line, email: "", date: new Date(0).toISOString() };
  return { name: match[1] ?? "", email: match[2] ?? "", date: isoSeconds(new Date(Number(match[3]) * 1000)) };
}

/** GitHub's timestamp format: ISO 8601 in UTC without milliseconds. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
