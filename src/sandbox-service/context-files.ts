/**
 * The context files a clone answers (`CloneRequest.contextPaths`): read from the cloned commit's
 * objects, never from the work tree, so a symlink is never followed (a link is left out, like a
 * path that is absent or a directory) and nothing the repository configures runs. Two git runs
 * whatever the number of paths: `ls-tree -l` for modes and sizes, `cat-file --batch` for the
 * contents; a file past `MAX_CONTEXT_FILE_BYTES` is read cut to that length on its own.
 */

import type { ContextFile } from "../protocol/sandbox";
import { MAX_CONTEXT_FILE_BYTES } from "../protocol/sandbox-schemas";
import { parseCatFileBatch } from "./change-set";
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
  const listing = await git([
    ...prefix,
    "--literal-pathspecs",
    "ls-tree",
    "-l",
    "-z",
    "HEAD",
    "--",
    ...paths,
  ]);
  const found = new Map(parseLsTree(listing).map((entry) => [entry.path, entry]));
  const small = [...found.values()].filter((f) => f.size <= MAX_CONTEXT_FILE_BYTES).map((f) => f.sha);
  const contents =
    small.length === 0
      ? new Map<string, Buffer>()
      : parseCatFileBatch(
          await git([...prefix, "cat-file", "--batch"], Buffer.from(`${small.join("\n")}\n`)),
        );
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
  return files;
}
