/**
 * The change set of a workspace against its cloned commit. The agent can write .git/config
 * (hooks, fsmonitor, filters), so git runs inside the jail, never on the host: `git add -A`, then
 * `git diff --cached --raw -z --no-renames` for paths, modes and blob ids, then `git cat-file
 * --batch` for the contents, whose binary output is parsed here.
 */
import type { Change, ChangeSet, FileMode } from "../protocol/sandbox";
import { ServiceError } from "./errors";
import { runIsolated } from "./isolate";
import { HELPER_TIMEOUT_MS, MAX_CHANGE_SET_BYTES } from "./limits";
import { ByteCollector } from "./output-cap";
import type { JailOptions } from "./sandbox-files";

/** Git with everything the agent could have configured to run code turned off (both backends). */
export const GIT = [
  "git",
  ...["-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "-c", "core.untrackedCache=false"],
  ...["-c", "safe.directory=/workspace", "--no-pager"],
];

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

async function jailedGit(
  workspace: string,
  argv: string[],
  stdin: Uint8Array | undefined,
  options: JailOptions,
): Promise<Buffer> {
  const stdout = new ByteCollector(MAX_CHANGE_SET_BYTES);
  const stderr = new ByteCollector(16 * 1024);
  const overflow = new AbortController();
  const outcome = await runIsolated({
    workspace,
    argv,
    stdin,
    timeoutMs: HELPER_TIMEOUT_MS,
    signal: options.signal ? AbortSignal.any([options.signal, overflow.signal]) : overflow.signal,
    bwrapPath: options.bwrapPath,
    onStdout: (chunk) => {
      stdout.push(chunk);
      if (stdout.overflowed) overflow.abort();
    },
    onStderr: (chunk) => stderr.push(chunk),
  });
  if (stdout.overflowed) {
    throw new ServiceError(413, "change set too large", `more than ${MAX_CHANGE_SET_BYTES} bytes of content`);
  }
  if (outcome.aborted) throw new ServiceError(404, "sandbox not found", "terminated during the request");
  if (outcome.timedOut) throw new ServiceError(504, "git timed out", argv.slice(-3).join(" "), true);
  if (outcome.exitCode !== 0) {
    const message = stderr.bytes().toString("utf8").trim().slice(-2000);
    throw new ServiceError(409, "git failed in the sandbox", message || `exit ${outcome.exitCode}`);
  }
  return stdout.bytes();
}

/** Runs git (argv includes the `git` prefix) inside a sandbox: its stdout, or a thrown `ServiceError`. */
export type GitRunner = (argv: string[], stdin?: Uint8Array) => Promise<Buffer>;

/** Stages the whole work tree inside the jail and returns what differs from `baseSha`, with contents. */
export function collectChanges(workspace: string, baseSha: string, options: JailOptions): Promise<ChangeSet> {
  return collectChangesWith((argv, stdin) => jailedGit(workspace, argv, stdin, options), baseSha);
}

/** The change set computed with any sandbox's git (the local jail, a Modal sandbox). */
export async function collectChangesWith(git: GitRunner, baseSha: string): Promise<ChangeSet> {
  const script =
    '"$@" add -A && exec "$@" diff --cached --raw -z --no-renames --no-abbrev --no-ext-diff "$0" --';
  const raw = await git(["/bin/sh", "-c", script, baseSha, ...GIT]);
  const entries = parseRawDiff(raw);
  const wanted = [...new Set(entries.filter((e) => e.status !== "deleted").map((e) => e.sha))];
  const contents =
    wanted.length === 0
      ? new Map<string, Buffer>()
      : parseCatFileBatch(await git([...GIT, "cat-file", "--batch"], Buffer.from(`${wanted.join("\n")}\n`)));
  const changes = entries.map((entry): Change => {
    if (entry.status === "deleted") return { path: entry.path, status: "deleted" };
    const content = contents.get(entry.sha);
    if (!content) throw new ServiceError(500, "change set incomplete", `no content for ${entry.path}`);
    const { path, status, mode, sha } = entry;
    return { path, status, mode, sha, contentBase64: content.toString("base64") };
  });
  return { baseSha, changes };
}
