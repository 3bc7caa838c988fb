/**
 * One command in a Modal sandbox through the `modal` SDK's exec (the task command router): a
 * whole-second coreutils `timeout` wrapper so a timeout is a reliable exit code, stdin written then
 * closed, stdout and stderr streamed to callbacks. Argv over ~60 KiB travels as a file instead.
 */
import { randomUUID } from "node:crypto";
import type { Sandbox } from "modal";
import { badRequest } from "../errors";

/** Where the repo root is inside a Modal sandbox (the sandbox's workdir). */
export const MODAL_WORKDIR = "/workspace";

/** Modal refuses exec argv whose total length reaches 64 KiB (ARG_MAX); stay well below it. */
const MAX_ARGV_BYTES = 60 * 1024;
/** Grace between the `timeout` wrapper's TERM and its KILL. */
const KILL_AFTER_SECONDS = 1;
/** Extra time the SDK-side deadline allows beyond the wrapper's, so the wrapper always fires first. */
const SDK_DEADLINE_SLACK_SECONDS = 30;

export interface ModalRun {
  argv: string[];
  stdin?: Uint8Array;
  timeoutMs: number;
  /** Merge stderr into stdout (`2>&1`, in arrival order) — what the agent reads. */
  mergeStderr: boolean;
  onStdout(chunk: Uint8Array): void;
  onStderr?(chunk: Uint8Array): void;
  /** Environment for this one command only (a clone's ticket header, devcontainer variables); sent in the exec request. */
  env?: Record<string, string>;
  /** Where it runs, relative to the repo root (400 unless a directory in it); the root when absent. */
  cwd?: string;
}

export interface ModalOutcome {
  /** 124 when the wrapper's timeout fired, else the command's status (128+N for signal N). */
  exitCode: number;
  timedOut: boolean;
  durationMs: number;
}

function argvBytes(argv: string[]): number {
  return argv.reduce((sum, arg) => sum + Buffer.byteLength(arg) + 1, 0);
}

/**
 * The wrapper script: `$1` seconds, `$2` the directory (relative; empty for the root), `$3` the
 * nonce it prints, exiting 96, when that is not a directory inside the repository (symlinks resolved
 * in the sandbox, as the local backend resolves them), then the command; stderr joined to stdout
 * when asked. Without stdin the command reads /dev/null, as in the local jail: Modal's exec stdin is
 * always a pipe, and tools such as `rg PATTERN` search a piped stdin instead of the working directory.
 */
function wrapperScript(merge: boolean, fromFile: boolean, stdin: boolean): string {
  const redirect = (merge ? "exec 2>&1; " : "") + (stdin ? "" : "exec </dev/null; ");
  const enter =
    'if [ -n "$c" ]; then r=$(pwd -P); d=$(cd -- "$c" 2>/dev/null && pwd -P) || d=; ' +
    'case "$d/" in "$r"/*) cd -- "$d" || exit 1 ;; *) printf %s "$n"; exit 96 ;; esac; fi; ';
  const timeout = `exec timeout -k ${KILL_AFTER_SECONDS} "$s"`;
  if (!fromFile) return `${redirect}s=$1; c=$2; n=$3; shift 3; ${enter}${timeout} "$@"`;
  // argv arrives NUL-separated in a file: bash's mapfile reads it back exactly.
  return `${redirect}s=$1; c=$2; n=$3; f=$4; mapfile -d '' -t a < "$f" && rm -f -- "$f" || exit 1; ${enter}${timeout} "\${a[@]}"`;
}

async function drain(stream: ReadableStream<Uint8Array>, sink: (chunk: Uint8Array) => void): Promise<void> {
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    if (value.length > 0) sink(value);
  }
}

/** Runs `run.argv` in `/workspace` (or `run.cwd` in it) of `sandbox` and resolves once it has exited and its output is read. */
export async function runInModal(sandbox: Sandbox, run: ModalRun): Promise<ModalOutcome> {
  const seconds = Math.max(1, Math.ceil(run.timeoutMs / 1000));
  const started = performance.now();
  let command: string[];
  const hasStdin = run.stdin !== undefined;
  const nonce = randomUUID();
  const lead = [String(seconds), run.cwd ?? "", nonce];
  if (argvBytes(run.argv) <= MAX_ARGV_BYTES) {
    command = ["bash", "-c", wrapperScript(run.mergeStderr, false, hasStdin), "sh", ...lead, ...run.argv];
  } else {
    const file = `/tmp/.argv-${randomUUID()}`;
    const joined = Buffer.concat(run.argv.map((arg) => Buffer.from(`${arg}\0`)));
    await sandbox.filesystem.writeBytes(joined, file);
    command = ["bash", "-c", wrapperScript(run.mergeStderr, true, hasStdin), "sh", ...lead, file];
  }
  // The wrapper's refusal of the directory is its exit 96 with exactly the nonce as output.
  let head = "";
  let total = 0;
  const onStdout = (chunk: Uint8Array): void => {
    total += chunk.length;
    if (head.length <= nonce.length) head += Buffer.from(chunk).toString("latin1");
    run.onStdout(chunk);
  };
  const process = await sandbox.exec(command, {
    mode: "binary",
    stdout: "pipe",
    stderr: run.mergeStderr ? "ignore" : "pipe",
    // The wrapper enters `run.cwd` itself, so a missing one is a 400 here, whatever Modal would say.
    workdir: MODAL_WORKDIR,
    timeoutMs: (seconds + KILL_AFTER_SECONDS + SDK_DEADLINE_SLACK_SECONDS) * 1000,
    ...(run.env ? { env: run.env } : {}),
  });
  const writer = process.stdin.getWriter();
  if (run.stdin && run.stdin.length > 0) await writer.write(run.stdin);
  await writer.close();
  const reading = [drain(process.stdout, onStdout)];
  if (!run.mergeStderr) reading.push(drain(process.stderr, run.onStderr ?? run.onStdout));
  await Promise.all(reading);
  const status = await process.wait();
  if (run.cwd !== undefined && status === 96 && total === nonce.length && head === nonce)
    throw badRequest(`cwd: ${run.cwd} is not a directory in the repository`);
  const durationMs = Math.round(performance.now() - started);
  // `timeout` exits 124 after TERM, or 137 when it had to KILL; either way only once the time is up.
  const timedOut = (status === 124 || status === 137) && durationMs >= seconds * 1000 - 50;
  return { exitCode: timedOut ? 124 : status, timedOut, durationMs };
}
