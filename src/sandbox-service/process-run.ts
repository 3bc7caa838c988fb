/**
 * Runs one child process with a wall-clock limit and an abort signal, streaming its output to
 * callbacks. The child leads its own process group, so a timeout or abort kills the whole group
 * with SIGKILL; bwrap's --die-with-parent and pid namespace take care of everything inside it.
 */
import { spawn } from "node:child_process";
import { constants } from "node:os";

export interface ProcessRun {
  file: string;
  args: string[];
  /** The child's whole environment; nothing of the service's own is inherited. */
  env: Record<string, string>;
  cwd?: string;
  /** Bytes written to stdin, then closed; stdin is /dev/null when absent. */
  stdin?: Uint8Array;
  timeoutMs: number;
  /** Aborting kills the process group like a timeout does, but reports `aborted`. */
  signal?: AbortSignal;
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
}

export interface ProcessOutcome {
  /** The exit status; 124 after a timeout; 128+N after signal N. */
  exitCode: number;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
}

/** Runs `run.file` and resolves once it has exited and its output is drained; rejects if it cannot start. */
export function runProcess(run: ProcessRun): Promise<ProcessOutcome> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(run.file, run.args, {
      env: run.env,
      cwd: run.cwd,
      stdio: [run.stdin ? "pipe" : "ignore", "pipe", "pipe"],
      detached: true,
    });
    let timedOut = false;
    let aborted = false;
    const killGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // ESRCH: the group has already gone, which is what we wanted.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, run.timeoutMs);
    const onAbort = (): void => {
      aborted = true;
      killGroup();
    };
    if (run.signal?.aborted) onAbort();
    run.signal?.addEventListener("abort", onAbort, { once: true });
    const finish = (): void => {
      clearTimeout(timer);
      run.signal?.removeEventListener("abort", onAbort);
    };

    child.stdout?.on("data", run.onStdout);
    child.stderr?.on("data", run.onStderr);
    if (child.stdin) {
      // EPIPE when the command exits without reading all of its stdin: not an error of ours.
      child.stdin.on("error", () => {});
      child.stdin.end(run.stdin);
    }
    child.on("exit", () => {
      // A descendant that escaped the group could hold the pipes open forever; stop reading then.
      setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, 2_000).unref();
    });
    child.on("error", (error) => {
      finish();
      reject(error);
    });
    child.on("close", (code, signal) => {
      finish();
      const signalled = signal ? 128 + (constants.signals[signal] ?? 0) : 1;
      resolve({
        exitCode: timedOut ? 124 : (code ?? signalled),
        timedOut,
        aborted,
        durationMs: Math.round(performance.now() - started),
      });
    });
  });
}
