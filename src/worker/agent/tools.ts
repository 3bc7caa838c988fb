/**
 * The model-facing tools, as data (name, description, zod schema, execute) behind one dispatch
 * point that validates arguments and truncates output. A failing tool is an observation for the
 * model; only `finish`, limits and infrastructure faults leave the dispatcher as something else.
 */
import { z } from "zod";
import { SandboxError } from "../errors";
import type { Sandbox } from "../sandbox";
import type { ToolCall, ToolSpec } from "./model";
import { truncateMiddle } from "./truncate";

export interface ToolContext {
  sandbox: Sandbox;
  /** Unique per tool call and stable across retries: the sandbox runs it at most once. */
  idempotencyKey: string;
  commandTimeoutMs: number;
}

export interface Observation {
  output: string;
  exitCode?: number;
}

interface Tool<S extends z.ZodType> {
  name: string;
  description: string;
  schema: S;
  execute(input: z.infer<S>, ctx: ToolContext): Promise<Observation>;
}

function tool<S extends z.ZodType>(t: Tool<S>): Tool<S> {
  return t;
}

const bash = tool({
  name: "bash",
  description:
    "Run a bash command in the repository root (a fresh clone). Not a login shell; each call starts " +
    "a new shell, so `cd` does not persist. No network access. Output is stdout and stderr interleaved, " +
    "cut in the middle when long.",
  schema: z.object({ command: z.string().min(1).describe("The command, run with `bash -c`.") }).strict(),
  async execute({ command }, ctx) {
    const result = await ctx.sandbox.exec(["bash", "-c", command], {
      timeoutMs: ctx.commandTimeoutMs,
      idempotencyKey: ctx.idempotencyKey,
    });
    const note = result.timedOut ? `\n[killed: the command ran past ${ctx.commandTimeoutMs / 1000} s]` : "";
    return { output: `${result.output}${note}`, exitCode: result.exitCode };
  },
});

export const finishSchema = z
  .object({
    title: z.string().trim().min(1).max(200).describe("Pull request title: imperative, under 72 characters."),
    summary: z
      .string()
      .trim()
      .min(1)
      .max(20_000)
      .describe("Pull request body: what changed and why, in Markdown."),
  })
  .strict();

export type FinishInput = z.infer<typeof finishSchema>;

const TOOLS = [bash];
const FINISH = {
  name: "finish",
  description:
    "Call when the change is complete and checked. Its title and summary become the pull request's.",
  schema: finishSchema,
};

/** The tool list as the model sees it (JSON Schema from the same zod schemas that validate). */
export function toolSpecs(): ToolSpec[] {
  return [...TOOLS, FINISH].map((t) => ({
    name: t.name,
    description: t.description,
    parameters: z.toJSONSchema(t.schema) as Record<string, unknown>,
  }));
}

export type DispatchResult =
  | { kind: "observation"; observation: Observation }
  | { kind: "finish"; input: FinishInput };

/** Validates a tool call, runs it and cuts its output to `maxOutputChars`. */
export async function dispatch(
  call: ToolCall,
  ctx: ToolContext,
  maxOutputChars: number,
): Promise<DispatchResult> {
  let args: unknown;
  try {
    args = call.arguments.trim() === "" ? {} : JSON.parse(call.arguments);
  } catch {
    return fail(`Error: the arguments of ${call.name} are not valid JSON: ${call.arguments.slice(0, 200)}`);
  }
  if (call.name === FINISH.name) {
    const parsed = finishSchema.safeParse(args);
    if (parsed.success) return { kind: "finish", input: parsed.data };
    return fail(`Error: bad arguments for finish. ${z.prettifyError(parsed.error)}`);
  }
  const found = TOOLS.find((t) => t.name === call.name);
  if (!found) {
    const names = [...TOOLS, FINISH].map((t) => t.name).join(", ");
    return fail(`Error: there is no tool named "${call.name}". Available tools: ${names}.`);
  }
  const parsed = found.schema.safeParse(args);
  if (!parsed.success)
    return fail(`Error: bad arguments for ${found.name}. ${z.prettifyError(parsed.error)}`);
  let observation: Observation;
  try {
    observation = await found.execute(parsed.data, ctx);
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

function fail(output: string): DispatchResult {
  return { kind: "observation", observation: { output } };
}
