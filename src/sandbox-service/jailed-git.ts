/**
 * Git as the service runs it inside a sandbox for its own helpers (the change set, blob reads):
 * with everything the agent could have configured to run code turned off, inside the jail, never
 * on the host, since the agent can write .git/config (hooks, fsmonitor, filters).
 */
import { ServiceError } from "./errors";
import { runIsolated } from "./isolate";
import { HELPER_TIMEOUT_MS, MAX_HELPER_OUTPUT_BYTES } from "./limits";
import { ByteCollector } from "./output-cap";
import type { JailOptions } from "./sandbox-files";

/** Git with everything the agent could have configured to run code turned off (both backends). */
export const GIT = [
  "git",
  ...["-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "-c", "core.untrackedCache=false"],
  ...["-c", "safe.directory=/workspace", "--no-pager"],
];

/** Runs git (argv includes the `git` prefix) inside a sandbox: its stdout, or a thrown `ServiceError`. */
export type GitRunner = (argv: string[], stdin?: Uint8Array) => Promise<Buffer>;

/** The `GitRunner` of a local (bubblewrap) sandbox's workspace. */
export function jailedGit(workspace: string, options: JailOptions): GitRunner {
  return async (argv, stdin) => {
    const stdout = new ByteCollector(MAX_HELPER_OUTPUT_BYTES);
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
      throw new ServiceError(413, "git output too large", `more than ${MAX_HELPER_OUTPUT_BYTES} bytes`);
    }
    if (outcome.aborted) throw new ServiceError(404, "sandbox not found", "terminated during the request");
    if (outcome.timedOut) throw new ServiceError(504, "git timed out", argv.slice(-3).join(" "), true);
    if (outcome.exitCode !== 0) {
      const message = stderr.bytes().toString("utf8").trim().slice(-2000);
      throw new ServiceError(409, "git failed in the sandbox", message || `exit ${outcome.exitCode}`);
    }
    return stdout.bytes();
  };
}
