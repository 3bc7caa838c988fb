/**
 * The agent loop, mini-swe-agent's shape: one loop, limits in a config object, the message list is
 * the state. It knows only `Model` and `Sandbox`. Each model call and each tool call runs through
 * `durable`, so under a Workflow a replayed run reuses results instead of calling twice.
 */
import type { JobEvent } from "../../protocol/events";
import { JobError, LimitError } from "../errors";
import type { Sandbox } from "../sandbox";
import type { Message, Model, ModelReply } from "./model";
import { systemPrompt, type TaskContext, taskMessage } from "./prompts";
import { type DispatchResult, dispatch, type FinishInput, toolSpecs } from "./tools";
import { abbreviate, truncateMiddle } from "./truncate";

export interface AgentConfig {
  /** Tool calls allowed before the run is stopped. */
  maxSteps: number;
  /** Absolute time (ms since epoch) after which no new model call starts. */
  deadline: number;
  commandTimeoutMs: number;
  /** Tool output beyond this is cut to head + tail before the model sees it. */
  maxOutputChars: number;
}

/** Runs `fn` once and remembers its result under `name` (a Workflow step, or a plain call). */
export type Durable = <T extends object>(name: string, fn: () => Promise<T>) => Promise<T>;

export interface AgentIO {
  model: Model;
  sandbox: Sandbox;
  durable: Durable;
  /** Appends to the job's log; `key` makes a replayed emit a no-op. */
  emit(event: JobEvent, key: string): Promise<void>;
  /** Prefix of every exec idempotency key (the job id). */
  keyPrefix: string;
}

export interface AgentUsage {
  steps: number;
  promptTokens: number;
  completionTokens: number;
}

type StepResult = DispatchResult & { durationMs: number };

/** Drives the model until it calls `finish`; throws `LimitError` when a budget runs out first. */
export async function runAgent(
  task: TaskContext,
  config: AgentConfig,
  io: AgentIO,
  usage: AgentUsage,
): Promise<FinishInput> {
  // Events go out in order but off the step's critical path; the run waits for them before it ends.
  let emitted: Promise<void> = Promise.resolve();
  const emit = (event: JobEvent, key: string) => {
    emitted = emitted.then(() => io.emit(event, key));
  };
  try {
    return await drive(task, config, io, usage, emit);
  } finally {
    await emitted;
  }
}

async function drive(
  task: TaskContext,
  config: AgentConfig,
  io: AgentIO,
  usage: AgentUsage,
  emit: (event: JobEvent, key: string) => void,
): Promise<FinishInput> {
  const messages: Message[] = [
    { role: "system", content: systemPrompt() },
    { role: "user", content: taskMessage(task) },
  ];
  const tools = toolSpecs();
  const maxTurns = config.maxSteps * 2;
  for (let turn = 1; turn <= maxTurns; turn++) {
    if (Date.now() > config.deadline) throw new LimitError("The agent ran out of time before finishing.");
    const reply: ModelReply = await io.durable(`model ${turn}`, () => io.model.complete(messages, tools));
    usage.promptTokens += reply.usage.promptTokens;
    usage.completionTokens += reply.usage.completionTokens;
    messages.push(reply.message);
    if (reply.text) emit({ type: "message", data: { text: reply.text } }, `message ${turn}`);
    if (reply.toolCalls.length === 0) {
      messages.push({ role: "user", content: "Use the tools to make the change, then call `finish`." });
      continue;
    }
    for (const [i, call] of reply.toolCalls.entries()) {
      if (call.name !== "finish" && usage.steps >= config.maxSteps) {
        throw new LimitError(`The agent used all ${config.maxSteps} steps before finishing.`);
      }
      const result = await io.durable<StepResult>(`tool ${turn}.${i}`, async () => {
        const started = Date.now();
        const ctx = {
          sandbox: io.sandbox,
          idempotencyKey: `${io.keyPrefix}:${turn}.${i}`,
          commandTimeoutMs: config.commandTimeoutMs,
        };
        const r = await dispatch(call, ctx, config.maxOutputChars);
        return { ...r, durationMs: Date.now() - started };
      });
      if (result.kind === "finish") return result.input;
      usage.steps += 1;
      const { output, exitCode } = result.observation;
      emit(
        {
          type: "step",
          data: {
            n: usage.steps,
            tool: call.name,
            input: abbreviate(call.arguments, 500),
            output: truncateMiddle(output, 2_000),
            ...(exitCode === undefined ? {} : { exitCode }),
            durationMs: result.durationMs,
          },
        },
        `step ${turn}.${i}`,
      );
      const content = exitCode === undefined ? output : `exit code ${exitCode}\n${output}`;
      messages.push({ role: "tool", tool_call_id: call.id, content });
    }
  }
  throw new JobError("limit_exceeded", `The model answered ${maxTurns} times without finishing.`);
}

/** A `Durable` that just calls through: for tests, benchmarks and runs outside a Workflow. */
export const immediate: Durable = (_name, fn) => fn();
