/**
 * Exec idempotency that survives a service restart. In memory, `IdempotentRuns` dedupes calls in
 * flight; on disk, each key of a sandbox has one record in that sandbox's `execs/` directory:
 * `started` is written before the command starts, `done` with the result once it finished. A key
 * found `done` answers its result; a key found `started` belongs to a command an earlier service
 * process ran and never saw finish, so it answers an "interrupted" result rather than run twice.
 */
import { createHash, randomUUID } from "node:crypto";
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { ExecResult } from "../protocol/sandbox";
import { execResultSchema } from "../protocol/sandbox-schemas";
import { ServiceError, sandboxNotFound } from "./errors";
import { IdempotentRuns } from "./idempotency";
import { parseJsonAs } from "./sandbox-state";

/** Exit status of a command the service lost track of: what a shell reports for SIGKILL. */
export const INTERRUPTED_EXIT_CODE = 137;

const recordSchema = z.object({
  key: z.string(),
  fingerprint: z.string(),
  state: z.enum(["started", "done"]),
  result: execResultSchema.optional(),
});

/** What a key answers when its command was running as the sandbox service stopped. */
export function interruptedResult(): ExecResult {
  return {
    exitCode: INTERRUPTED_EXIT_CODE,
    output:
      "[the sandbox service restarted while this command ran: it did not finish under the service's watch, " +
      "its output is lost and its effects may be partial; check the workspace before relying on it]",
    truncated: false,
    timedOut: false,
    durationMs: 0,
    interrupted: true,
  };
}

export class ExecRecords {
  private readonly memory: IdempotentRuns<ExecResult>;
  private frozen = false;

  /** `execsDir` names the directory of a live sandbox's records (it exists while the sandbox does). */
  constructor(
    private readonly execsDir: (sandboxId: string) => Promise<string>,
    maxInMemory: number,
  ) {
    this.memory = new IdempotentRuns(maxInMemory);
  }

  /** Runs `work` at most once per (`sandboxId`, `key`), across service restarts. */
  run(
    sandboxId: string,
    key: string,
    fingerprint: string,
    work: () => Promise<ExecResult>,
  ): Promise<ExecResult> {
    return this.memory.run(sandboxId, key, fingerprint, () =>
      this.runRecorded(sandboxId, key, fingerprint, work),
    );
  }

  private async runRecorded(
    sandboxId: string,
    key: string,
    fingerprint: string,
    work: () => Promise<ExecResult>,
  ): Promise<ExecResult> {
    const file = join(
      await this.execsDir(sandboxId),
      `${createHash("sha256").update(key).digest("hex")}.json`,
    );
    const earlier = readRecord(file);
    if (earlier && earlier.key === key) {
      if (earlier.fingerprint !== fingerprint)
        throw new ServiceError(
          409,
          "idempotency key reused",
          `key ${key} was first used for a different command`,
        );
      return earlier.state === "done" && earlier.result ? earlier.result : interruptedResult();
    }
    try {
      writeRecord(file, { key, fingerprint, state: "started" });
    } catch (error) {
      if (isMissing(error)) throw sandboxNotFound(sandboxId);
      throw error;
    }
    let result: ExecResult;
    try {
      result = await work();
    } catch (error) {
      // A failed run may be retried (as in memory), unless the service is stopping under it: then
      // the marker stays, and the next process answers the interrupted result for this key.
      if (!this.frozen) rmSync(file, { force: true });
      throw error;
    }
    try {
      writeRecord(file, { key, fingerprint, state: "done", result });
    } catch (error) {
      // Terminated as the command ended: its directory is gone, and so is any later use of the key.
      if (!isMissing(error)) throw error;
    }
    return result;
  }

  /** Forgets a sandbox's keys in memory (its records on disk go with its state directory). */
  forget(sandboxId: string): void {
    this.memory.forget(sandboxId);
  }

  /** From now on, records on disk are left as they are: the service is stopping for a restart. */
  freeze(): void {
    this.frozen = true;
  }
}

// A record is a few hundred bytes (an output of at most the exec's cap when done) on the service's
// own disk: written and read synchronously, each is a few syscalls, where the promise API made
// every open, write, close and rename a round trip through the thread pool on each command.

/** The record at `file`; undefined when missing, torn or foreign (an atomic write makes torn rare). */
function readRecord(file: string): z.infer<typeof recordSchema> | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  return parseJsonAs(text, recordSchema);
}

/** Replaces the record at `file` whole: written beside it, then renamed over it. */
function writeRecord(file: string, record: z.infer<typeof recordSchema>): void {
  const temp = `${file}.${randomUUID()}.tmp`;
  writeFileSync(temp, JSON.stringify(record), { mode: 0o600 });
  try {
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === "ENOENT";
}
