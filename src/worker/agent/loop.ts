/**
 * The agent loop, mini-swe-agent's shape: one loop, limits in a config object, the message list is
 * the state. It knows only `Model` and `Sandbox`. Each model call and each tool call runs through
 * `durable` (a Workflow step: a replayed run reuses results), and the state is checkpointed once a
 * turn, right after the model's reply: a new attempt resumes from it, and the turn that was in
 * flight re-runs its tool calls under the same idempotency keys, so no command runs twice.
 */
import type { JobEvent } from "../../protocol/events";
import { LimitError } from "../errors";
import type { Sandbox } from "../sandbox";
import { type CheckRun, isCheck, ranTests } from "./checks";
import type { Message, Model, ModelReply, ToolCall } from "./model";
import { compactTranscript, type PromptBudget } from "./prompt-budget";
import { systemPrompt, type TaskContext, taskMessage, testNudge } from "./prompts";
import type { AgentState, TurnSave } from "./state";
import { type Durable, type FinishInput, runTool, toolSpecs } from "./tools";
import { abbreviate, truncateMiddle } from "./truncate";

export type { Durable } from "./tools";

export interface AgentConfig {
  /** Tool calls allowed before the run is stopped. */
  maxSteps: number;
  /** Prompt plus completion tokens allowed before the run is stopped. */
  maxTokens: number;
  /** Absolute time (ms since epoch) after which no new model call starts. */
  deadline: number;
  commandTimeoutMs: number;
  /** The publishing policy's per-file cap, which `edit` applies to what it writes. */
  maxFileBytes?: number;
  /** Tool output beyond this is cut to head + tail before the model sees it. */
  maxOutputChars: number;
  /** How large the transcript may grow before old tool outputs are elided. */
  prompt: PromptBudget;
}

export interface AgentIO {
  model: Model;
  sandbox: Sandbox;
  durable: Durable;
  /** Appends to the job's log; `key` makes a replayed emit a no-op. */
  emit(event: JobEvent, key: string): Promise<void>;
  /** Prefix of every exec idempotency key (the job id). */
  keyPrefix: string;
  /** Saves the state after a model reply, with the turn's events: once a turn. */
  checkpoint(save: TurnSave, events: { event: JobEvent; key: string }[]): Promise<void>;
}

export interface AgentUsage {
  steps: number;
  promptTokens: number;
  completionTokens: number;
}

/** What the run did, filled in as it goes (so it is there when a budget ends the run). */
export interface AgentRecord {
  usage: AgentUsage;
  /** Test and lint commands that actually ran, with their exit codes. */
  checks: CheckRun[];
  /** Prompt tokens of each model call, in order (the prompt-size figure). */
  promptTokensPerTurn: number[];
  /** Model replies with neither text nor a tool call; each used up a step of the budget. */
  emptyReplies: number;
}

/** A fresh, empty record. */
export function newRecord(): AgentRecord {
  return {
    usage: { steps: 0, promptTokens: 0, completionTokens: 0 },
    checks: [],
    promptTokensPerTurn: [],
    emptyReplies: 0,
  };
}

/** The state before the first turn: the system prompt and the task. */
export function initialState(task: TaskContext): AgentState {
  return {
    turn: 0,
    messages: [
      { role: "system", content: systemPrompt(task.context, task.followUp) },
      { role: "user", content: taskMessage(task) },
    ],
    record: newRecord(),
    nudged: false,
  };
}

/**
 * Drives the model from `state` (fresh or resumed) until it calls `finish`; throws `LimitError`
 * when a budget runs out first. `state` is updated in place, so its record is there either way.
 */
export async function runAgent(
  task: TaskContext,
  config: AgentConfig,
  io: AgentIO,
  state: AgentState,
): Promise<FinishInput> {
  // Events go out in order but off the step's critical path; the run waits for them before it ends.
  let emitted: Promise<void> = Promise.resolve();
  const emit = (event: JobEvent, key: string) => {
    emitted = emitted.then(() => io.emit(event, key));
  };
  try {
    return await drive(task, config, io, state, emit);
  } finally {
    await emitted;
  }
}

async function drive(
  task: TaskContext,
  config: AgentConfig,
  io: AgentIO,
  state: AgentState,
  emit: (event: JobEvent, key: string) => void,
): Promise<FinishInput> {
  const { messages, record } = state;
  const { usage } = record;
  const followUp = task.followUp !== undefined;
  const tools = toolSpecs({ followUp });
  const testCommands = task.context?.testCommands ?? [];
  const known = [...testCommands, ...(task.context?.lintCommands ?? [])];
  const maxTurns = config.maxSteps * 2 + 2;
  /** Messages before this index are saved in the room: none before the first turn's save. */
  let saved = state.turn === 0 ? 0 : messages.length;
  let pending = unanswered(messages);
  /** The turn that was in flight when the last attempt died, if this run resumes one. */
  const resumedTurn = pending.length > 0 ? state.turn : -1;
  while (state.turn < maxTurns || pending.length > 0) {
    let turn = state.turn;
    if (pending.length === 0) {
      if (Date.now() > config.deadline) throw new LimitError("The agent ran out of time before finishing.");
      if (usage.promptTokens + usage.completionTokens >= config.maxTokens) {
        throw new LimitError(
          `The agent used its ${config.maxTokens.toLocaleString("en-US")}-token budget before finishing.`,
        );
      }
      turn = state.turn + 1;
      compactTranscript(messages, config.prompt);
      const reply: ModelReply = await io.durable(`model ${turn}`, () => io.model.complete(messages, tools));
      usage.promptTokens += reply.usage.promptTokens;
      usage.completionTokens += reply.usage.completionTokens;
      record.promptTokensPerTurn.push(reply.usage.promptTokens);
      state.turn = turn;
      if (reply.toolCalls.length === 0 && reply.text === null) {
        // OpenAI refuses an assistant message with no content and no tool calls, so an empty reply
        // stays out of the transcript; the nudge says what happened. It costs a step, so a model
        // that keeps saying nothing runs out of budget instead of looping.
        if (usage.steps + record.emptyReplies >= config.maxSteps) throw stepsSpent(config, record);
        record.emptyReplies += 1;
        messages.push({ role: "user", content: EMPTY_REPLY_NUDGE });
        await io.checkpoint(
          { turn, from: saved, messages: messages.slice(saved), record, nudged: state.nudged },
          [],
        );
        saved = messages.length;
        continue;
      }
      if (reply.message) messages.push(reply.message);
      const events = reply.text
        ? [{ event: { type: "message", data: { text: reply.text } } as JobEvent, key: `message ${turn}` }]
        : [];
      if (reply.toolCalls.length === 0) {
        messages.push({ role: "user", content: "Use the tools to make the change, then call `finish`." });
      }
      await io.checkpoint(
        { turn, from: saved, messages: messages.slice(saved), record, nudged: state.nudged },
        events,
      );
      saved = messages.length;
      pending = reply.toolCalls;
      if (pending.length === 0) continue;
    }
    const calls = pending;
    pending = [];
    const offset = toolCallsOf(messages).length - calls.length;
    for (const [n, call] of calls.entries()) {
      const i = offset + n;
      if (call.name !== "finish" && usage.steps + record.emptyReplies >= config.maxSteps) {
        throw stepsSpent(config, record);
      }
      const ctx = {
        sandbox: io.sandbox,
        idempotencyKey: `${io.keyPrefix}:${turn}.${i}`,
        commandTimeoutMs: config.commandTimeoutMs,
        resumed: turn === resumedTurn,
        followUp,
        ...(config.maxFileBytes === undefined ? {} : { maxFileBytes: config.maxFileBytes }),
      };
      const result = await runTool(call, ctx, config.maxOutputChars, io.durable, `${turn}.${i}`);
      if (result.kind === "finish") {
        if (state.nudged || testCommands.length === 0 || ranTests(record.checks, testCommands)) {
          return result.input;
        }
        state.nudged = true;
        messages.push({ role: "tool", tool_call_id: call.id, content: testNudge(testCommands) });
        continue;
      }
      usage.steps += 1;
      const { output, exitCode } = result.observation;
      if (call.name === "bash" && exitCode !== undefined) {
        const command = commandOf(call.arguments);
        if (command && isCheck(command, known)) record.checks.push({ command, exitCode });
      }
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
  throw new LimitError(`The model answered ${maxTurns} times without finishing.`);
}

/** The last assistant message's tool calls that no tool message answers yet (a resumed turn). */
function unanswered(messages: Message[]): ToolCall[] {
  const calls = toolCallsOf(messages);
  const answered = new Set<string>();
  for (let k = messages.length - 1; k >= 0; k--) {
    const m = messages[k];
    if (m?.role === "assistant") break;
    if (m?.role === "tool") answered.add(m.tool_call_id);
  }
  return calls.filter((c) => !answered.has(c.id));
}

/** The tool calls of the last assistant message, as the loop dispatches them. */
function toolCallsOf(messages: Message[]): ToolCall[] {
  for (let k = messages.length - 1; k >= 0; k--) {
    const m = messages[k];
    if (m?.role !== "assistant") continue;
    return (m.tool_calls ?? []).flatMap((c) =>
      c.type === "function" ? [{ id: c.id, name: c.function.name, arguments: c.function.arguments }] : [],
    );
  }
  return [];
}

const EMPTY_REPLY_NUDGE =
  "Your last reply was empty. Call a tool to make the change, or call `finish` if the work is done.";

function stepsSpent(config: AgentConfig, record: AgentRecord): LimitError {
  const empty = record.emptyReplies;
  const note = empty === 0 ? "" : ` (${empty} of them on empty model replies)`;
  return new LimitError(`The agent used all ${config.maxSteps} steps before finishing${note}.`);
}

function commandOf(args: string): string | null {
  try {
    const parsed = JSON.parse(args) as { command?: unknown };
    return typeof parsed.command === "string" ? parsed.command : null;
  } catch {
    // The dispatcher already told the model; there is no command to record.
    return null;
  }
}

/** A `Durable` that just calls through: for tests, benchmarks and runs outside a Workflow. */
export const immediate: Durable = (_name, fn) => fn();
