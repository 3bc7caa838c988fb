// The git plumbing the stand-in's Git Data API used before it wrote objects in-process, kept for
// what the in-process writers leave to git (non-plain trees, identities git would rewrite) and as
// the reference git-objects.test.ts compares them with: a scratch index fed every file
// (`update-index --index-info`) then `write-tree`, and `commit-tree` with the identity in its env.
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import type { TreeChange } from "./git-tree-build";
import type { BareRepo, Identity } from "./github-git";

/** What the index path needs of a repository. */
export type IndexRepo = Pick<BareRepo, "run" | "text" | "listTree" | "home">;

/** BareRepo.buildTree through a scratch index and write-tree, for what the in-process builder leaves to git. */
export async function buildTreeWithIndex(
  repo: IndexRepo,
  baseTree: string | undefined,
  changes: readonly TreeChange[],
): Promise<string> {
  const files = new Map<string, { mode: string; sha: string }>();
  const load = async (treeish: string, prefix: string) => {
    for (const item of await repo.listTree(treeish, true)) {
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
  const scratch = await mkdtemp(join(repo.home, "index-"));
  const env = { GIT_INDEX_FILE: join(scratch, "index") };
  try {
    const lines = [...files].map(([path, f]) => `${f.mode} ${f.sha}\t${path}\0`).join("");
    await repo.run(["update-index", "-z", "--add", "--index-info"], lines, env);
    return await repo.text(["write-tree", "--missing-ok"], undefined, env);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** BareRepo.commitTree with `git commit-tree`, the identities and dates in its environment. */
export function commitTreeWithGit(
  repo: Pick<BareRepo, "text">,
  input: {
    tree: string;
    parents: string[];
    message: string;
    author: Identity;
    committer: Identity;
  },
): Promise<string> {
  const env = {
    GIT_AUTHOR_NAME: input.author.name,
    GIT_AUTHOR_EMAIL: input.author.email,
    GIT_AUTHOR_DATE: gitDate(input.author.date),
    GIT_COMMITTER_NAME: input.committer.name,
    GIT_COMMITTER_EMAIL: input.committer.email,
    GIT_COMMITTER_DATE: gitDate(input.committer.date),
  };
  const parents = input.parents.flatMap((p) => ["-p", p]);
  return repo.text(["commit-tree", input.tree, ...parents, "-F", "-"], input.message, env);
}

/** An ISO 8601 date as git's raw `<epoch> +0000`. */
export function gitDate(iso: string): string {
  return `${Math.floor(Date.parse(iso) / 1000)} +0000`;
}
