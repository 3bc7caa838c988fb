/**
 * The change set of a workspace against its cloned commit, as metadata: paths, modes, blob ids,
 * sizes, git's binary verdict, deletions, symlink targets. Contents are not part of it; they are
 * read in pieces afterwards (blob-range.ts), so the list stays small whatever the files hold.
 * Git runs inside the jail (jailed-git.ts): `git add -A`, then `git diff --cached --raw` for
 * paths, modes and ids, `--numstat` for binary, `cat-file --batch-check` for sizes.
 */
import type { Change, ChangeSet, FileMode } from "../protocol/sandbox";
import { ServiceError } from "./errors";
import { GIT, type GitRunner, jailedGit } from "./jailed-git";
import type { JailOptions } from "./sandbox-files";

const MODES = new Set<string>(["100644", "100755", "120000"]);

/** One entry of `git diff --raw`, before its content is known. */
export interface RawChange {
  path: string;
  status: "added" | "modified" | "deleted";
  mode: FileMode;
  sha: string;
}

/** Parses `git diff --raw -z --no-abbrev` (`:old new oldsha newsha S\0path\0`); submodules are skipped. */
export function parseRawDiff(output: Buffer): RawChange[] {
  const fields = output.toString("utf8").split("\0");
  const changes: RawChange[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [oldMode, newMode, , sha, letter] = (fields[i] ?? "").replace(/^:/, "").split(" ");
    const path = fields[i + 1] ?? "";
    const wasFile = oldMode !== undefined && MODES.has(oldMode);
    const isFile = newMode !== undefined && MODES.has(newMode);
    if (letter === "D" || (wasFile && !isFile)) {
      if (wasFile) changes.push({ path, status: "deleted", mode: oldMode as FileMode, sha: "" });
    } else if (isFile && sha) {
      changes.push({ path, status: wasFile ? "modified" : "added", mode: newMode as FileMode, sha });
    }
  }
  return changes;
}

/** Parses `git cat-file --batch` output (`sha type size\n<bytes>\n` per object) into contents by sha. */
export function parseCatFileBatch(output: Buffer): Map<string, Buffer> {
  const contents = new Map<string, Buffer>();
  let at = 0;
  while (at < output.length) {
    const eol = output.indexOf(0x0a, at);
    if (eol < 0) throw new Error("cat-file: truncated header");
    const [sha, type, size] = output.subarray(at, eol).toString("utf8").split(" ");
    if (!sha || type === "missing" || size === undefined) throw new Error(`cat-file: object ${sha} missing`);
    const start = eol + 1;
    const end = start + Number(size);
    if (end > output.length) throw new Error("cat-file: truncated object");
    contents.set(sha, output.subarray(start, end));
    at = end + 1;
  }
  return contents;
}

/** Parses `git diff --numstat -z --no-renames` (`added\tdeleted\tpath\0`): the paths git calls binary. */
export function parseBinaryPaths(output: Buffer): Set<string> {
  const binary = new Set<string>();
  for (const record of output.toString("utf8").split("\0")) {
    const match = /^(-|\d+)\t(-|\d+)\t([\s\S]*)$/.exec(record);
    if (match?.[1] === "-" && match[3] !== undefined) binary.add(match[3]);
  }
  return binary;
}

/** Parses `git cat-file --batch-check` output (`sha type size\n` per object) into blob sizes by sha. */
export function parseBatchCheck(output: Buffer): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const line of output.toString("utf8").split("\n")) {
    if (line === "") continue;
    const [sha, type, size] = line.split(" ");
    if (!sha || type !== "blob" || size === undefined) throw new Error(`cat-file: ${line}`);
    sizes.set(sha, Number(size));
  }
  return sizes;
}

/** Stages the whole work tree inside the jail and returns what differs from `baseSha`. */
export function collectChanges(workspace: string, baseSha: string, options: JailOptions): Promise<ChangeSet> {
  return collectChangesWith(jailedGit(workspace, options), baseSha);
}

/** The change set computed with any sandbox's git (the local jail, a Modal sandbox). */
export async function collectChangesWith(git: GitRunner, baseSha: string): Promise<ChangeSet> {
  const script =
    '"$@" add -A && exec "$@" diff --cached --raw -z --no-renames --no-abbrev --no-ext-diff "$0" --';
  const entries = parseRawDiff(await git(["/bin/sh", "-c", script, baseSha, ...GIT]));
  const present = entries.filter((e) => e.status !== "deleted");
  if (present.length === 0)
    return { baseSha, changes: entries.map(({ path }) => ({ path, status: "deleted" })) };
  const numstat = [...GIT, "diff", "--cached", "--numstat", "-z", "--no-renames", "--no-ext-diff"];
  const binary = parseBinaryPaths(await git([...numstat, "--no-textconv", baseSha, "--"]));
  const wanted = [...new Set(present.map((e) => e.sha))];
  const sizes = parseBatchCheck(await git([...GIT, "cat-file", "--batch-check"], lines(wanted)));
  const links = [...new Set(present.filter((e) => e.mode === "120000").map((e) => e.sha))];
  const targets =
    links.length === 0
      ? new Map<string, Buffer>()
      : parseCatFileBatch(await git([...GIT, "cat-file", "--batch"], lines(links)));
  const changes = entries.map((entry): Change => {
    if (entry.status === "deleted") return { path: entry.path, status: "deleted" };
    const { path, status, mode, sha } = entry;
    const size = sizes.get(sha);
    if (size === undefined) throw new ServiceError(500, "change set incomplete", `no size for ${path}`);
    const change: Change = { path, status, mode, sha, size, binary: binary.has(path) };
    const target = targets.get(sha);
    if (mode === "120000" && target) change.target = target.toString("utf8");
    return change;
  });
  return { baseSha, changes };
}

function lines(shas: string[]): Buffer {
  return Buffer.from(`${shas.join("\n")}\n`);
}
