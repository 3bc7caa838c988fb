/**
 * The model-facing tools, as data (tools/*.ts: name, description, zod schema, execute) behind one
 * dispatch point that validates arguments and truncates output. A failing tool is an observation
 * for the model; only `finish`, limits and infrastructure faults leave the dispatcher otherwise.
 * A file edit comes back as a write that `runTool` applies as its own durable step.
 */
import { z } from "zod";
import { inSpan } from "../../telemetry/spans";
import { SandboxError } from "../errors";
import { tracer } from "../telemetry/tracing";
import type { ToolCall, ToolSpec } from "./model";
import { bash } from "./tools/bash";
import { edit } from "./tools/edit";
import { type FinishInput, finish, followUpFinish } from "./tools/finish";
import type { Observation, ToolContext } from "./tools/types";
import { view } from "./tools/view";
import { truncateMiddle } from "./truncate";

export type { FinishInput } from "./tools/finish";
export { finishSchema, followUpFinishSchema } from "./tools/finish";
export type { Observation, ToolContext } from "./tools/types";

/** Runs `fn` once and remembers its result under `name` (a Workflow step, or a plain call). */
export type Durable = <T extends object>(name: string, fn: () => Promise<T>) => Promise<T>;

const TOOLS = [bash, view, edit];

export interface ToolOptions {
  /** The run continues a pull request: `finish` takes its follow-up variant (title optional). */
  followUp?: boolean;
}

/** The `finish` a run is offered: the same name either way, so one dispatch point serves both. */
function finishFor(followUp: boolean | undefined) {
  return followUp ? followUpFinish : finish;
}

/** The tool list as the model sees it (JSON Schema from the same zod schemas that validate). */
export function toolSpecs(options: ToolOptions = {}): ToolSpec[] {
  return [...TOOLS, finishFor(options.followUp)].map((t) => ({
    name: t.name,
    description: t.description,
    parameters: z.toJSONSchema(t.schema, { io: "input" }) as Record<string, unknown>,
  }));
}

export type DispatchResult =
  | { kind: "observation"; observation: Observation }
  | { kind: "finish"; input: FinishInput };

/** Validates a tool call, runs it and cuts its output to `maxOutputChars`; nothing is written yet. */
export async function dispatch(
  call: ToolCall,
  ctx: ToolContext,
  maxOutputChars: number,
): Promise<DispatchResult> {
  let args: unknown;
  try {
    args = call.arguments.trim() === "" ? {} : JSON.parse(call.arguments);
  } catch {
    return fail(
      `Error: the arguments of ${call.name} are not valid JSON: ${call.arguments.slice(0, 200)}\n` +
        'Send one JSON object, with strings escaped (newlines as \\n, quotes as \\").',
    );
  }
  const end = finishFor(ctx.followUp);
  if (call.name === end.name) {
    const parsed = end.schema.safeParse(args);
    if (parsed.success) return { kind: "finish", input: parsed.data };
    return fail(`Error: bad arguments for finish. ${z.prettifyError(parsed.error)}\n${usage(end)}`);
  }
  const found = TOOLS.find((t) => t.name === call.name);
  if (!found) {
    const names = [...TOOLS, finish].map((t) => t.name).join(", ");
    return fail(`Error: there is no tool named "${call.name}". Available tools: ${names}.`);
  }
  const parsed = found.schema.safeParse(args);
  if (!parsed.success) {
    return fail(`Error: bad arguments for ${found.name}. ${z.prettifyError(parsed.error)}\n${usage(found)}`);
  }
  let observation: Observation;
  try {
    // The registry's union of schemas loses the pairing of each tool with its own input type.
    observation = await (found.execute as (input: unknown, ctx: ToolContext) => Promise<Observation>)(
      parsed.data,
      ctx,
    );
  } catch (error) {
    // The service refused this call itself (a bad path, say): the model can fix its call.
    if (error instanceof SandboxError && !error.retryable && error.status === 400) {
      return fail(`Error: ${error.message}`);
    }
    throw error;
  }
  return {
    kind: "observation",
    observation: { ...observation, output: truncateMiddle(observation.output, maxOutputChars) },
  };
}

/** A tool call's result as the loop records it. */
export type StepResult = DispatchResult & { durationMs: number };

/**
 * One tool call as durable steps: `tool <id>` validates and runs it (a file edit only computes the
 * new content there), then `write <id>` writes that content — the same bytes on every retry, so a
 * replayed or retried step can never apply an edit twice.
 */
export async function runTool(
  call: ToolCall,
  ctx: ToolContext,
  maxOutputChars: number,
  durable: Durable,
  id: string,
): Promise<StepResult> {
  const attributes = {
    "gen_ai.operation.name": "execute_tool",
    "gen_ai.tool.name": call.name,
    "gen_ai.tool.call.id": call.id,
  };
  const result = await durable<StepResult>(`tool ${id}`, () =>
    inSpan(tracer(), `execute_tool ${call.name}`, attributes, async (span) => {
      const started = Date.now();
      const r = await dispatch(call, ctx, maxOutputChars);
      const durationMs = Date.now() - started;
      span.setAttribute("tool.duration_ms", durationMs);
      if (r.kind === "observation" && r.observation.exitCode !== undefined) {
        span.setAttribute("process.exit.code", r.observation.exitCode);
      }
      return { ...r, durationMs };
    }),
  );
  const write = result.kind === "observation" ? result.observation.write : undefined;
  if (write) {
    await durable(`write ${id}`, async () => {
      await ctx.sandbox.writeFile(write.path, Buffer.from(write.contentBase64, "base64"));
      return { written: write.path };
    });
  }
  return result;
}

function usage(t: { name: string; schema: z.ZodType }): string {
  return `Call ${t.name} with a JSON object matching: ${JSON.stringify(z.toJSONSchema(t.schema, { io: "input" }))}`;
}

function fail(output: string): DispatchResult {
  return { kind: "observation", observation: { output } };
}
