// Git Data API semantics on a real bare repository, with git plumbing: blobs, trees built on a
// base tree (adds, mode changes, deletions), commits, refs and diff stats. The REST routes are thin
// wrappers over this, so object ids match what GitHub itself would compute.
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { runGit } from "./git-cli";

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

/** One change for `buildTree`: `sha: null` deletes `path` (a file or a whole directory). */
export interface TreeChange {
  path: string;
  mode: string;
  type: "blob" | "tree" | "commit";
  sha: string | null;
}

/** A bare repository on disk and the plumbing the REST routes need. */
export class BareRepo {
  constructor(
    readonly dir: string,
    private readonly home: string,
  ) {}

  /** Runs git against this repository; resolves to stdout. */
  run(args: readonly string[], input?: string | Buffer, env?: Record<string, string>): Promise<Buffer> {
    return runGit(this.dir, args, { home: this.home, input, env });
  }

  async text(
    args: readonly string[],
    input?: string | Buffer,
    env?: Record<string, string>,
  ): Promise<string> {
    return (await this.run(args, input, env)).toString("utf8").trim();
  }

  /** The type of object `sha`, or undefined when the repository has no such object. */
  async objectType(sha: string): Promise<ObjectType | undefined> {
    if (!/^[0-9a-f]{40}$/.test(sha)) return undefined;
    return (await this.text(["cat-file", "-t", sha]).catch(() => undefined)) as ObjectType | undefined;
  }

  /** The types of objects `shas` in one git run (undefined for an id the repository does not have). */
  async objectTypes(shas: readonly string[]): Promise<(ObjectType | undefined)[]> {
    const valid = shas.map((sha) => /^[0-9a-f]{40}$/.test(sha));
    const asked = shas.filter((_, i) => valid[i]);
    const lines =
      asked.length === 0
        ? []
        : (await this.text(["cat-file", "--batch-check=%(objecttype)"], `${asked.join("\n")}\n`)).split("\n");
    let at = 0;
    return valid.map((ok) => {
      if (!ok) return undefined;
      const line = lines[at++] ?? "";
      // A missing object answers `<id> missing` instead of its type.
      return line.endsWith(" missing") || line === "" ? undefined : (line as ObjectType);
    });
  }

  /** Stores `content` as a blob; resolves to its id. */
  writeBlob(content: Buffer): Promise<string> {
    return this.text(["hash-object", "-w", "--stdin"], content);
  }

  /** The bytes of blob `sha`. */
  readBlob(sha: string): Promise<Buffer> {
    return this.run(["cat-file", "blob", sha]);
  }

  /** The commit a full ref name (`refs/heads/main`) points at, or undefined. */
  async resolveRef(ref: string): Promise<string | undefined> {
    return (
      (await this.text(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]).catch(() => "")) || undefined
    );
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
    const raw = (await this.run(["cat-file", "commit", sha])).toString("utf8");
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

  /** Entries of tree `treeish`; `recursive` includes subtrees and their contents, like GitHub. */
  async listTree(treeish: string, recursive: boolean): Promise<TreeItem[]> {
    const args = ["ls-tree", "-l", "-z", ...(recursive ? ["-r", "-t"] : []), treeish];
    const out = (await this.run(args)).toString("utf8");
    return out
      .split("\0")
      .filter(Boolean)
      .map((line) => {
        const tab = line.indexOf("\t");
        const [mode = "", type = "", sha = "", size = "-"] = line.slice(0, tab).split(/ +/);
        const item: TreeItem = { path: line.slice(tab + 1), mode, type: type as TreeItem["type"], sha };
        if (size !== "-") item.size = Number(size);
        return item;
      });
  }

  /** Writes a tree: the base tree's files (if any) with `changes` applied; resolves to its id. */
  async buildTree(baseTree: string | undefined, changes: readonly TreeChange[]): Promise<string> {
    const files = new Map<string, { mode: string; sha: string }>();
    const load = async (treeish: string, prefix: string) => {
      for (const item of await this.listTree(treeish, true)) {
        if (item.type !== "tree") files.set(prefix + item.path, { mode: item.mode, sha: item.sha });
      }
    };
    const removeUnder = (path: string) => {
      files.delete(path);
      for (const key of [...files.keys()]) if (key.startsWith(`${path}/`)) files.delete(key);
    };
    if (baseTree) await load(baseTree, "");
    for (const change of changes) {
      removeUnder(change.path);
      if (change.sha === null) continue;
      // A file where a parent directory of this path was, is replaced by the directory.
      const parts = change.path.split("/");
      for (let i = 1; i < parts.length; i++) files.delete(parts.slice(0, i).join("/"));
      if (change.type === "tree") await load(change.sha, `${change.path}/`);
      else files.set(change.path, { mode: change.mode, sha: change.sha });
    }
    const scratch = await mkdtemp(join(this.home, "index-"));
    const env = { GIT_INDEX_FILE: join(scratch, "index") };
    try {
      const lines = [...files].map(([path, f]) => `${f.mode} ${f.sha}\t${path}\0`).join("");
      await this.run(["update-index", "-z", "--add", "--index-info"], lines, env);
      return await this.text(["write-tree", "--missing-ok"], undefined, env);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /** Writes a commit object; resolves to its id. */
  commitTree(input: {
    tree: string;
    parents: string[];
    message: string;
    author: Identity;
    committer: Identity;
  }) {
    const env = {
      GIT_AUTHOR_NAME: input.author.name,
      GIT_AUTHOR_EMAIL: input.author.email,
      GIT_AUTHOR_DATE: gitDate(input.author.date),
      GIT_COMMITTER_NAME: input.committer.name,
      GIT_COMMITTER_EMAIL: input.committer.email,
      GIT_COMMITTER_DATE: gitDate(input.committer.date),
    };
    const parents = input.parents.flatMap((p) => ["-p", p]);
    return this.text(["commit-tree", input.tree, ...parents, "-F", "-"], input.message, env);
  }

  /** Points `ref` at `sha`; `expectOld` "" means the ref must not exist yet. False when that check fails. */
  async setRef(ref: string, sha: string, expectOld?: string): Promise<boolean> {
    const args = ["update-ref", ref, sha, ...(expectOld === undefined ? [] : [expectOld])];
    return this.run(args).then(
      () => true,
      () => false,
    );
  }

  /** Removes `ref` (a full name). */
  async deleteRef(ref: string): Promise<void> {
    await this.run(["update-ref", "-d", ref]);
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
    const numstat = await this.text(["diff", "--numstat", "-z", `${base}...${head}`]);
    let additions = 0;
    let deletions = 0;
    let changedFiles = 0;
    for (const record of numstat.split("\0").filter((r) => /^(\d+|-)\t(\d+|-)\t/.test(r))) {
      const [added = "0", deleted = "0"] = record.split("\t");
      additions += Number(added) || 0;
      deletions += Number(deleted) || 0;
      changedFiles++;
    }
    const commits = Number(await this.text(["rev-list", "--count", `${base}..${head}`]));
    return { additions, deletions, changedFiles, commits };
  }
}

/** `Name <email> 1700000000 +0000` → name, email and ISO date (UTC, seconds). */
function parseIdentity(line: string): Identity {
  const match = /^(.*) <(.*)> (\d+) ([+-]\d{4})$/.exec(line);
  if (!match) return { name: line, email: "", date: new Date(0).toISOString() };
  return { name: match[1] ?? "", email: match[2] ?? "", date: isoSeconds(new Date(Number(match[3]) * 1000)) };
}

/** An ISO 8601 date as git's raw `<epoch> +0000`. */
function gitDate(iso: string): string {
  return `${Math.floor(Date.parse(iso) / 1000)} +0000`;
}

/** GitHub's timestamp format: ISO 8601 in UTC without milliseconds. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
