/**
 * What the Modal backend does inside a sandbox, each on top of `runInModal`: the agent's exec
 * (head + tail capture), the clone (inside the sandbox, so it reaches GitHub from there), git for
 * the change set, and file reads and writes (writes through the SDK's filesystem API).
 */
import type { Sandbox } from "modal";
import { SandboxFilesystemIsADirectoryError, SandboxFilesystemNotADirectoryError } from "modal";
import type { CloneRequest, CloneResult, ExecResult, FileMode } from "../../protocol/sandbox";
import { readContextFiles } from "../context-files";
import { ServiceError } from "../errors";
import { cloneFailure, extraHeaderEnv, redactUrl } from "../git-clone";
import { GIT, type GitRunner } from "../jailed-git";
import { CLONE_TIMEOUT_MS, HELPER_TIMEOUT_MS, MAX_FILE_BYTES, MAX_HELPER_OUTPUT_BYTES } from "../limits";
import { ByteCollector, HeadTailCapture } from "../output-cap";
import { READ_SCRIPT, readScriptResult, WRITE_SCRIPT, writeScriptResult } from "../sandbox-files";
import { MODAL_WORKDIR, runInModal } from "./modal-exec";
import type { CloneAuth, ExecSpec, FileData } from "./types";

/**
 * The agent's command (or a setup one): output interleaved and cut to head + tail, like the local
 * backend's, with the request's variables (Modal sets them over the image's) and directory.
 */
export async function modalExec(sandbox: Sandbox, spec: ExecSpec): Promise<ExecResult> {
  const capture = new HeadTailCapture(spec.maxOutputBytes);
  const outcome = await runInModal(sandbox, {
    argv: spec.argv,
    stdin: spec.stdin,
    timeoutMs: spec.timeoutMs,
    mergeStderr: true,
    onStdout: (chunk) => capture.push(chunk),
    ...(spec.env ? { env: spec.env } : {}),
    ...(spec.cwd ? { cwd: spec.cwd } : {}),
  });
  const { text, truncated } = capture.result();
  return { ...outcome, output: text, truncated };
}

export interface Collected {
  exitCode: number;
  timedOut: boolean;
  stdout: ByteCollector;
  stderr: string;
}

/** Runs a helper with separate, fully kept stdout (up to `limit`) and a short stderr. */
export async function collect(
  sandbox: Sandbox,
  argv: string[],
  limit: number,
  timeoutMs: number,
  stdin?: Uint8Array,
  env?: Record<string, string>,
): Promise<Collected> {
  const stdout = new ByteCollector(limit);
  const stderr = new ByteCollector(16 * 1024);
  const outcome = await runInModal(sandbox, {
    argv,
    stdin,
    timeoutMs,
    mergeStderr: false,
    onStdout: (chunk) => stdout.push(chunk),
    onStderr: (chunk) => stderr.push(chunk),
    ...(env ? { env } : {}),
  });
  return { ...outcome, stdout, stderr: stderr.bytes().toString("utf8").trim() };
}

const CLONE_SCRIPT = `u=$1; s=$2; f=$3; shift 3
[ "$f" = full ] || set -- --filter=blob:none "$@"
export GIT_TERMINAL_PROMPT=0 GIT_ALLOW_PROTOCOL=http:https:file
git -c core.fsmonitor=false -c core.hooksPath=/dev/null -c credential.helper= clone --single-branch "$@" -- "$u" . || exit $?
h=$(git rev-parse --verify -q "HEAD^{commit}") || exit 91
t=$(git rev-parse --verify -q "HEAD^{tree}") || exit 91
r=$(git symbolic-ref --short -q HEAD) || r=
[ "$s" = "$u" ] || git remote set-url origin "$s" || exit 92
printf '%s\\n%s\\n%s\\n' "$h" "$r" "$t"`;

/**
 * Clone of one branch into the (empty) workspace (partial unless `full`), from inside the
 * sandbox, then the context files asked for, read there before any command runs. A clone ticket
 * (`auth`) is in this one exec's environment only (the SDK sends it in the exec request, not as a
 * Modal Secret): while the clone runs, the sandbox holds a read-only capability for the Worker's
 * git proxy and this one repository, which the Worker revokes when the clone step ends — never the
 * GitHub credential, which stays in the Worker. `wrap` runs the clone script inside another one
 * (a warm sandbox's: modal-warm.ts), given the script and its arguments.
 */
export async function modalClone(
  sandbox: Sandbox,
  request: CloneRequest,
  auth?: CloneAuth,
  wrap: (script: string, args: string[]) => string[] = (script, args) => ["sh", "-c", script, "sh", ...args],
): Promise<CloneResult> {
  const safeUrl = redactUrl(request.url);
  const origin = redactUrl(request.remoteUrl ?? request.url);
  const branch = request.ref === undefined ? [] : ["--branch", request.ref];
  const argv = wrap(CLONE_SCRIPT, [request.url, origin, request.full ? "full" : "partial", ...branch]);
  const env = auth ? extraHeaderEnv(auth) : undefined;
  const result = await collect(sandbox, argv, 64 * 1024, CLONE_TIMEOUT_MS, undefined, env);
  if (result.timedOut) throw new ServiceError(504, "clone timed out", safeUrl, true);
  if (result.exitCode === 91) throw new ServiceError(422, "clone failed", "the repository has no commits");
  if (result.exitCode === 96 || result.exitCode === 97)
    throw new ServiceError(
      409,
      "clone failed",
      `moving the cached environment: ${result.stderr.slice(-2000)}`,
    );
  if (result.exitCode !== 0) {
    if (/already exists and is not an empty directory/.test(result.stderr))
      throw new ServiceError(409, "workspace not empty", "clone before writing files");
    throw cloneFailure(result.stderr, request.url, auth);
  }
  const [headSha = "", ref = "", treeSha = ""] = result.stdout.bytes().toString("utf8").split("\n");
  const cloned: CloneResult = { headSha, ref: ref || (request.ref ?? "HEAD"), treeSha };
  if (request.contextPaths)
    cloned.files = await readContextFiles(modalGit(sandbox), GIT, request.contextPaths);
  return cloned;
}

/** Git inside the sandbox for the change set and blob reads: stdout kept whole, failures as `ServiceError`s. */
export function modalGit(sandbox: Sandbox): GitRunner {
  return async (argv, stdin) => {
    const result = await collect(sandbox, argv, MAX_HELPER_OUTPUT_BYTES, HELPER_TIMEOUT_MS, stdin);
    if (result.stdout.overflowed)
      throw new ServiceError(413, "git output too large", `more than ${MAX_HELPER_OUTPUT_BYTES} bytes`);
    if (result.timedOut) throw new ServiceError(504, "git timed out", argv.slice(-3).join(" "), true);
    if (result.exitCode !== 0)
      throw new ServiceError(
        409,
        "git failed in the sandbox",
        result.stderr.slice(-2000) || `exit ${result.exitCode}`,
      );
    return result.stdout.bytes();
  };
}

/** Reads a file with the same script as the local backend (mode and bytes in one round trip). */
export async function modalReadFile(sandbox: Sandbox, path: string): Promise<FileData> {
  const argv = ["sh", "-c", READ_SCRIPT, "sh", `${MODAL_WORKDIR}/${path}`];
  const result = await collect(sandbox, argv, MAX_FILE_BYTES + 1, HELPER_TIMEOUT_MS);
  if (result.stdout.overflowed)
    throw new ServiceError(413, "file too large", `larger than ${MAX_FILE_BYTES} bytes`);
  if (result.timedOut) throw new ServiceError(504, "file operation timed out", undefined, true);
  return readScriptResult(result.exitCode, result.stdout.bytes(), result.stderr, path);
}

/** Writes a file: content through the filesystem API (never argv), then the mode or symlink by script. */
export async function modalWriteFile(
  sandbox: Sandbox,
  path: string,
  content: Uint8Array,
  mode: FileMode | undefined,
): Promise<void> {
  const target = `${MODAL_WORKDIR}/${path}`;
  if (mode === "120000") {
    const link = Buffer.from(content).toString("utf8");
    if (link.length === 0 || link.includes("\0"))
      throw new ServiceError(
        400,
        "invalid request",
        "contentBase64: a symlink target must be non-empty, without NUL",
      );
    const result = await collect(
      sandbox,
      ["sh", "-c", WRITE_SCRIPT, "sh", target, mode, link],
      4096,
      HELPER_TIMEOUT_MS,
    );
    return writeScriptResult(result.exitCode, result.stderr, path);
  }
  try {
    await sandbox.filesystem.writeBytes(content, target);
  } catch (error) {
    if (error instanceof SandboxFilesystemIsADirectoryError)
      throw new ServiceError(409, "write failed", `path: ${path} is a directory`);
    if (error instanceof SandboxFilesystemNotADirectoryError)
      throw new ServiceError(409, "write failed", `path: cannot create the parent of ${path}`);
    throw error;
  }
  if (mode === undefined) return;
  const chmod = mode === "100755" ? "+x" : "-x";
  const result = await collect(sandbox, ["chmod", chmod, "--", target], 4096, HELPER_TIMEOUT_MS);
  if (result.exitCode !== 0)
    throw new ServiceError(409, "write failed", result.stderr || `exit ${result.exitCode}`);
}
