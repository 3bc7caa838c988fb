/**
 * The context files a clone answers (`CloneRequest.contextPaths`): read from the cloned commit's
 * objects, never from the work tree, so a symlink is never followed (a link is left out, like a
 * path that is absent or a directory) and nothing the repository configures runs. Two git runs
 * whatever the number of paths: `ls-tree -l` for modes and sizes, `cat-file --batch` for the
 * contents (and, for `readCloneHead`, the commit itself first); a file past
 * `MAX_CONTEXT_FILE_BYTES` is read cut to that length on its own.
 */

import type { ContextFile } from "../protocol/sandbox";
import { MAX_CONTEXT_FILE_BYTES } from "../protocol/sandbox-schemas";
import { parseCatFileBatch } from "./change-set";
import { ServiceError } from "./errors";
import type { GitRunner } from "./jailed-git";

interface Listed {
  path: string;
  sha: string;
  size: number;
}

/** Parses `git ls-tree -l -z` (`mode type sha size\tpath\0`): regular files only. */
export function parseLsTree(output: Buffer): Listed[] {
  const listed: Listed[] = [];
  for (const record of output.toString("utf8").split("\0")) {
    const tab = record.indexOf("\t");
    if (tab < 0) continue;
    const [mode, type, sha = "", size = ""] = record.slice(0, tab).split(/ +/);
    if (type !== "blob" || (mode !== "100644" && mode !== "100755")) continue;
    listed.push({ path: record.slice(tab + 1), sha, size: Number(size) });
  }
  return listed;
}

const utf8 = new TextDecoder();

export interface CloneHead {
  headSha: string;
  treeSha: string;
  files: ContextFile[];
}

/**
 * The files of `paths` at `HEAD`, in the order asked. `git` is the runner of the clone's
 * repository (argv includes the git prefix); `prefix` is that prefix.
 */
export async function readContextFiles(
  git: GitRunner,
  prefix: readonly string[],
  paths: readonly string[],
): Promise<ContextFile[]> {
  if (paths.length === 0) return [];
  return (await readAtHead(git, prefix, paths, false)).files;
}

/**
 * `HEAD`'s commit and tree with the files of `paths`, in the same two runs: the commit comes
 * first in the `cat-file --batch` that reads the files (one run when no paths are asked).
 */
export async function readCloneHead(
  git: GitRunner,
  prefix: readonly string[],
  paths: readonly string[],
): Promise<CloneHead> {
  const { commit, files } = await readAtHead(git, prefix, paths, true);
  if (!commit) throw new ServiceError(422, "clone failed", "the repository has no commits");
  return { ...commit, files };
}

interface Commit {
  headSha: string;
  treeSha: string;
}

async function readAtHead(
  git: GitRunner,
  prefix: readonly string[],
  paths: readonly string[],
  withCommit: boolean,
): Promise<{ commit?: Commit; files: ContextFile[] }> {
  const catFile = (names: string[]) =>
    git([...prefix, "cat-file", "--batch"], Buffer.from(`${names.join("\n")}\n`));
  let listing: Buffer = Buffer.alloc(0);
  if (paths.length > 0) {
    try {
      listing = await git([...prefix, "--literal-pathspecs", "ls-tree", "-l", "-z", "HEAD", "--", ...paths]);
    } catch (error) {
      // A repository with no commits fails the listing: then that is the answer, not the failure.
      if (withCommit && !splitCommit(await catFile(["HEAD^{commit}"]))) return { files: [] };
      throw error;
    }
  }
  const found = new Map(parseLsTree(listing).map((entry) => [entry.path, entry]));
  const small = [...found.values()].filter((f) => f.size <= MAX_CONTEXT_FILE_BYTES).map((f) => f.sha);
  const names = [...(withCommit ? ["HEAD^{commit}"] : []), ...small];
  const batch = names.length === 0 ? Buffer.alloc(0) : await catFile(names);
  const split = withCommit ? splitCommit(batch) : undefined;
  if (withCommit && !split) return { files: [] };
  const contents = parseCatFileBatch(split ? split.rest : batch);
  const files: ContextFile[] = [];
  for (const path of paths) {
    const entry = found.get(path);
    if (!entry) continue;
    const truncated = entry.size > MAX_CONTEXT_FILE_BYTES;
    const bytes = truncated
      ? await git([
          "/bin/sh",
          "-c",
          `"$@" cat-file blob "$0" | head -c ${MAX_CONTEXT_FILE_BYTES}`,
          entry.sha,
          ...prefix,
        ])
      : contents.get(entry.sha);
    if (bytes) files.push({ path, text: utf8.decode(bytes), truncated });
  }
  return { ...(split ? { commit: split.commit } : {}), files };
}

/** The commit opening a `cat-file --batch` answer and the answer after it; undefined when `HEAD` names none. */
function splitCommit(batch: Buffer): { commit: Commit; rest: Buffer } | undefined {
  const eol = batch.indexOf(0x0a);
  const [headSha = "", type, size = ""] = batch.subarray(0, Math.max(eol, 0)).toString("utf8").split(" ");
  if (eol < 0 || type !== "commit") return undefined;
  const end = eol + 1 + Number(size);
  const treeSha = /^tree ([0-9a-f]+)\n/.exec(batch.subarray(eol + 1, end).toString("utf8"))?.[1] ?? "";
  return { commit: { headSha, treeSha }, rest: batch.subarray(end + 1) };
}
