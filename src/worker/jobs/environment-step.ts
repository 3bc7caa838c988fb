/**
 * The setup phase, after the clone and before the agent's first command: the environment plan's
 * lifecycle commands (environment/plan.ts) run with network, in the order the Dev Container spec
 * gives (onCreate, updateContent, postCreate; an object form's commands in parallel), each its own
 * durable step under its own idempotency key, so a retried or resumed attempt never runs one
 * twice. A sandbox that started from the cache runs only updateContentCommand, as the spec says.
 * The whole phase is bounded by SETUP_TIMEOUT_SECONDS (each command gets what is left); a failure
 * or a timeout ends the job `setup_failed` with the output's tail. Then `environment/ready` shuts
 * the network for good, and a cold setup that succeeded is saved to the cache.
 */
import type { WorkflowStep } from "cloudflare:workers";
import type { JobEvent } from "../../protocol/events";
import type { ExecResult } from "../../protocol/sandbox";
import { truncateMiddle } from "../agent/truncate";
import { commandText, LIFECYCLE_HOOKS, type LifecycleHook, type SetupCommand } from "../environment/commands";
import type { EnvironmentPlan } from "../environment/plan";
import { SandboxError, SetupError } from "../errors";
import type { SandboxService } from "../sandbox";
import { durableStep } from "./durable";

/** Characters of a failed command's output the job's error quotes (its end, where errors are). */
const TAIL_CHARS = 3_000;
/** Characters of a command an error message quotes. */
const COMMAND_CHARS = 200;
/** Characters of a command's output (and of its text) a `step` event carries, as the agent's steps do. */
const STEP_OUTPUT_CHARS = 2_000;

export interface EnvironmentInput {
  jobId: string;
  sandboxes: SandboxService;
  plan: EnvironmentPlan;
  /** The sandbox started from the cache. */
  warm: boolean;
  /** The backend's notes on the environment (SandboxInfo.notes). */
  notes: string[];
  timeoutMs: number;
  /** Output kept of each command (the agent's own cap). */
  maxOutputChars: number;
  emit(event: JobEvent, key: string): Promise<void>;
}

interface Run {
  hook: LifecycleHook;
  command: SetupCommand;
  /** The step's number among the phase's commands, from 1. */
  n: number;
  key: string;
}

/** Runs the phase; resolves once the network is shut, throws SetupError when setup failed. */
export async function setUpEnvironment(step: WorkflowStep, input: EnvironmentInput): Promise<void> {
  const { jobId, sandboxes, plan, warm, emit } = input;
  const hooks = warm ? (["updateContentCommand"] as const) : LIFECYCLE_HOOKS;
  let n = 0;
  const runs = hooks.map((hook) =>
    plan.commands[hook].map((command, i): Run => ({ hook, command, n: ++n, key: `${hook} ${i}` })),
  );
  const started =
    n === 0
      ? `Using the environment of ${plan.source}; it has nothing to run${warm ? " on a warm start" : ""}.`
      : warm
        ? `Started warm from the environment cached for ${plan.source}: running updateContentCommand only.`
        : `Setting up the environment from ${plan.source}.`;
  const message = [started, ...input.notes.map(sentence), ...plan.notes].join(" ");
  await emit({ type: "status", data: { phase: "setting-up", message } }, "setting-up");
  if (n === 0) return;
  await durableStep(step, "environment begin", "sandbox", () =>
    sandboxes.beginEnvironment(jobId).catch((error: unknown) => {
      // 409: an earlier attempt already ended the phase; its commands answer their recorded results.
      if (error instanceof SandboxError && error.status === 409) return { phase: "setup" as const };
      throw error;
    }),
  );
  const deadline = Date.now() + input.timeoutMs;
  for (const parallel of runs) {
    await Promise.all(parallel.map((run) => runCommand(step, input, run, deadline)));
  }
  const ready = await durableStep(step, "environment ready", "sandbox", () =>
    sandboxes.environmentReady(jobId, !warm),
  );
  const cached = ready.saved ? " It was cached for the next job on these files." : "";
  await emit(
    { type: "status", data: { phase: "setting-up", message: `The environment is set up.${cached}` } },
    "set-up",
  );
}

async function runCommand(step: WorkflowStep, input: EnvironmentInput, run: Run, deadline: number) {
  const { jobId, sandboxes, plan } = input;
  const full = commandText(run.command);
  // A long script is quoted in full in its step (bounded), by its start in the job's error.
  const text = full.length > COMMAND_CHARS ? `${full.slice(0, COMMAND_CHARS - 1)}…` : full;
  const result = await durableStep(step, `setup ${run.key}`, "sandbox", async () => {
    const left = deadline - Date.now();
    if (left <= 0) return null;
    const r: ExecResult = await sandboxes.sandbox(jobId).exec(run.command.argv, {
      timeoutMs: left,
      idempotencyKey: `${jobId}:setup:${run.key}`,
      env: plan.env,
      ...(plan.cwd ? { cwd: plan.cwd } : {}),
    });
    return { ...r, output: truncateMiddle(r.output, input.maxOutputChars) };
  });
  const seconds = Math.round(input.timeoutMs / 1000);
  if (result === null) {
    throw new SetupError(
      `Setup timed out: ${run.hook} \`${text}\` did not start within the setup's ${seconds} s (SETUP_TIMEOUT_SECONDS).`,
    );
  }
  await input.emit(
    {
      type: "step",
      data: {
        n: run.n,
        tool: "setup",
        input: truncateMiddle(full, STEP_OUTPUT_CHARS),
        output: truncateMiddle(result.output, STEP_OUTPUT_CHARS),
        exitCode: result.exitCode,
        durationMs: result.durationMs,
      },
    },
    `setup step ${run.key}`,
  );
  const tail = result.output.length > TAIL_CHARS ? `…${result.output.slice(-TAIL_CHARS)}` : result.output;
  const output = tail.trim() === "" ? " It printed nothing." : `\nThe end of its output:\n${tail}`;
  if (result.timedOut) {
    throw new SetupError(
      `Setup timed out: ${run.hook} \`${text}\` ran past the setup's ${seconds} s (SETUP_TIMEOUT_SECONDS).${output}`,
    );
  }
  if (result.interrupted) {
    throw new SetupError(`Setup failed: the sandbox service restarted while ${run.hook} \`${text}\` ran.`);
  }
  if (result.exitCode !== 0) {
    throw new SetupError(`Setup failed: ${run.hook} \`${text}\` exited with ${result.exitCode}.${output}`);
  }
}

/** A backend's note as a sentence of the status message: capitalised, with its full stop. */
function sentence(note: string): string {
  const text = note.trim();
  const capital = `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}
