/**
 * File reads and writes for the local backend, done by a tiny `sh` inside the jail rather than by
 * the service: a symlink in the workspace then resolves in the sandbox's own filesystem, so it
 * cannot reach the host's /etc/shadow or the service's files. Exit codes name what went wrong.
 */
import type { FileMode } from "../protocol/sandbox";
import type { FileData } from "./backends/types";
import { ServiceError } from "./errors";
import { runIsolated, SANDBOX_WORKDIR } from "./isolate";
import { HELPER_TIMEOUT_MS, MAX_FILE_BYTES } from "./limits";
import { ByteCollector } from "./output-cap";

/** Prints `x` or `-` (executable or not), then the file. */
export const READ_SCRIPT = `p=$1
[ -d "$p" ] && exit 21
[ -e "$p" ] || exit 44
[ -f "$p" ] || exit 45
if [ -x "$p" ]; then printf x; else printf -; fi
exec cat -- "$p"`;

/** Writes stdin to $1 (or makes a symlink to $3), creating parent directories; $2 is the mode. */
export const WRITE_SCRIPT = `p=$1
[ -d "$p" ] && [ ! -L "$p" ] && exit 21
mkdir -p -- "$(dirname -- "$p")" || exit 46
if [ "$2" = 120000 ]; then rm -f -- "$p" && exec ln -s -- "$3" "$p"; fi
cat > "$p" || exit 47
case "$2" in 100755) exec chmod +x -- "$p" ;; 100644) exec chmod -x -- "$p" ;; esac`;

export interface JailOptions {
  signal?: AbortSignal;
  bwrapPath?: string;
}

interface ScriptOutcome {
  exitCode: number;
  stdout: ByteCollector;
  stderr: string;
}

async function runScript(
  workspace: string,
  script: string,
  args: string[],
  stdin: Uint8Array | undefined,
  options: JailOptions,
): Promise<ScriptOutcome> {
  const stdout = new ByteCollector(MAX_FILE_BYTES + 1);
  const stderr = new ByteCollector(16 * 1024);
  const overflow = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, overflow.signal]) : overflow.signal;
  const outcome = await runIsolated({
    workspace,
    argv: ["/bin/sh", "-c", script, "sh", ...args],
    stdin,
    timeoutMs: HELPER_TIMEOUT_MS,
    signal,
    bwrapPath: options.bwrapPath,
    onStdout: (chunk) => {
      stdout.push(chunk);
      if (stdout.overflowed) overflow.abort();
    },
    onStderr: (chunk) => stderr.push(chunk),
  });
  if (stdout.overflowed) throw new ServiceError(413, "file too large", `larger than ${MAX_FILE_BYTES} bytes`);
  if (outcome.aborted) throw new ServiceError(404, "sandbox not found", "terminated during the request");
  if (outcome.timedOut) throw new ServiceError(504, "file operation timed out", undefined, true);
  return { exitCode: outcome.exitCode, stdout, stderr: stderr.bytes().toString("utf8").trim() };
}

/** Reads `path` (relative, already checked) inside the jail; symlinks are followed there. */
export async function readSandboxFile(
  workspace: string,
  path: string,
  options: JailOptions,
): Promise<FileData> {
  const { exitCode, stdout, stderr } = await runScript(
    workspace,
    READ_SCRIPT,
    [`${SANDBOX_WORKDIR}/${path}`],
    undefined,
    options,
  );
  return readScriptResult(exitCode, stdout.bytes(), stderr, path);
}

/** What `READ_SCRIPT` printed, as file data or the error its exit code names (any backend). */
export function readScriptResult(exitCode: number, bytes: Buffer, stderr: string, path: string): FileData {
  if (exitCode === 21) throw new ServiceError(400, "not a file", `path: ${path} is a directory`);
  if (exitCode === 44) throw new ServiceError(404, "file not found", `path: ${path} does not exist`);
  if (exitCode === 45) throw new ServiceError(400, "not a file", `path: ${path} is not a regular file`);
  if (exitCode !== 0 || bytes.length === 0)
    throw new ServiceError(409, "read failed", stderr || `exit ${exitCode}`);
  return { content: bytes.subarray(1), mode: bytes[0] === 0x78 ? "100755" : "100644" };
}

/** Writes `path` inside the jail, creating parent directories; `120000` makes a symlink to `content`. */
export async function writeSandboxFile(
  workspace: string,
  path: string,
  content: Uint8Array,
  mode: FileMode | undefined,
  options: JailOptions,
): Promise<void> {
  const symlink = mode === "120000";
  const target = symlink ? Buffer.from(content).toString("utf8") : "";
  if (symlink && (target.length === 0 || target.includes("\0"))) {
    throw new ServiceError(
      400,
      "invalid request",
      "contentBase64: a symlink target must be non-empty, without NUL",
    );
  }
  const args = [`${SANDBOX_WORKDIR}/${path}`, mode ?? "", target];
  const { exitCode, stderr } = await runScript(
    workspace,
    WRITE_SCRIPT,
    args,
    symlink ? undefined : content,
    options,
  );
  writeScriptResult(exitCode, stderr, path);
}

/** Throws the error `WRITE_SCRIPT`'s exit code names; returns when it succeeded (any backend). */
export function writeScriptResult(exitCode: number, stderr: string, path: string): void {
  if (exitCode === 21) throw new ServiceError(409, "write failed", `path: ${path} is a directory`);
  if (exitCode === 46)
    throw new ServiceError(409, "write failed", `path: cannot create the parent of ${path}: ${stderr}`);
  if (exitCode !== 0) throw new ServiceError(409, "write failed", stderr || `exit ${exitCode}`);
}
