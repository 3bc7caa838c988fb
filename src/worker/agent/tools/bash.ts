/**
 * `bash`: one command in the repository root through the sandbox service, with the call's
 * idempotency key so a retried step never runs it twice, and the per-command time limit. A failure
 * that looks like the network being off says so (network-note.ts).
 */
import { z } from "zod";
import { networkNote } from "../network-note";
import { tool } from "./types";

export const bash = tool({
  name: "bash",
  description:
    "Run a bash command in the repository root (a fresh clone). Not a login shell; each call starts " +
    "a new shell, so `cd` does not persist. No network access. Output is stdout and stderr interleaved, " +
    "cut in the middle when long. Use `view` to read files and `edit` to change them.",
  schema: z.object({ command: z.string().min(1).describe("The command, run with `bash -c`.") }).strict(),
  async execute({ command }, ctx) {
    const result = await ctx.sandbox.exec(["bash", "-c", command], {
      timeoutMs: ctx.commandTimeoutMs,
      idempotencyKey: ctx.idempotencyKey,
    });
    const killed = result.timedOut ? `\n[killed: the command ran past ${ctx.commandTimeoutMs / 1000} s]` : "";
    const offline = networkNote(result.exitCode, result.output);
    const note = `${killed}${offline ? `\n${offline}` : ""}`;
    return { output: `${result.output}${note}`, exitCode: result.exitCode };
  },
});
