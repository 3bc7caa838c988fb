// The agent loop on our own seams (a scripted `Model` and an in-memory `Sandbox`): the prompt
// stays bounded over a 40-step run that reads large files, the token budget stops a run, the
// test nudge fires once before `finish`, checks are recorded from real exit codes, and test runs
// are told from lint runs.
import { describe, expect, it } from "vitest";
import { isCheck, ranTests } from "../../src/worker/agent/checks";
import { type AgentConfig, immediate, initialState, runAgent } from "../../src/worker/agent/loop";
import type { Message, Model, ModelReply, ToolCall } from "../../src/worker/agent/model";
import { transcriptChars } from "../../src/worker/agent/prompt-budget";
import { LimitError } from "../../src/worker/errors";
import { memorySandbox } from "./memory-sandbox";

/** A Model that answers with one tool call per turn from `calls`, recording each prompt's size. */
function scripted(calls: Omit<ToolCall, "id">[]) {
  const sizes: number[] = [];
  let turn = 0;
  const model: Model = {
    async complete(messages: Message[]): Promise<ModelReply> {
      sizes.push(transcriptChars(messages));
      const next = calls[turn++];
      const toolCalls = next ? [{ ...next, id: `call_${turn}` }] : [];
      return {
        message: {
          role: "assistant",
          content: null,
          tool_calls: toolCalls.map((c) => ({
            id: c.id,
            type: "function",
            function: { name: c.name, arguments: c.arguments },
          })),
        },
        text: null,
        toolCalls,
        usage: { promptTokens: Math.ceil(transcriptChars(messages) / 4), completionTokens: 10 },
      };
    },
  };
  return { model, sizes };
}

const config = (over: Partial<AgentConfig> = {}): AgentConfig => ({
  maxSteps: 100,
  maxTokens: 10_000_000,
  deadline: Date.now() + 60_000,
  commandTimeoutMs: 5000,
  maxOutputChars: 20_000,
  prompt: { maxChars: 60_000, keepRecent: 4 },
  ...over,
});

const io = (model: Model, sandbox: ReturnType<typeof memorySandbox>) => ({
  model,
  sandbox,
  durable: immediate,
  emit: async () => {},
  keyPrefix: "job",
  checkpoint: async () => {},
});

const task = { repo: "acme/api", baseBranch: "main", prompt: "read everything" };
const newRun = () => initialState(task);
const finish = { name: "finish", arguments: JSON.stringify({ title: "T", summary: "S" }) };

describe("runAgent", () => {
  it("keeps the prompt under its budget over 40 steps of large file reads", async () => {
    const files = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [
        `src/f${i}.ts`,
        `// file ${i}\n${"const x = 1;\n".repeat(1500)}`,
      ]),
    );
    const calls = Array.from({ length: 40 }, (_, i) => ({
      name: "view",
      arguments: JSON.stringify({ path: `src/f${i}.ts` }),
    }));
    const { model, sizes } = scripted([...calls, finish]);
    const state = newRun();
    const { record } = state;
    await runAgent(task, config(), io(model, memorySandbox(files)), state);
    expect(record.usage.steps).toBe(40);
    expect(sizes).toHaveLength(41);
    // Each view is ~4 KB; unbounded, the 41st prompt would be ~165 KB.
    expect(Math.max(...sizes)).toBeLessThan(60_000 + 20_000);
    expect(sizes.at(-1)).toBeLessThan((sizes[15] ?? 0) + 20_000);
  });

  it("stops when the token budget runs out", async () => {
    const { model } = scripted(
      Array.from({ length: 10 }, () => ({ name: "bash", arguments: '{"command":"true"}' })),
    );
    const state = newRun();
    const { record } = state;
    const run = runAgent(task, config({ maxTokens: 3000 }), io(model, memorySandbox({})), state);
    await expect(run).rejects.toThrow(LimitError);
    await expect(run).rejects.toThrow(/3,000-token budget/);
    expect(record.usage.promptTokens + record.usage.completionTokens).toBeGreaterThanOrEqual(3000);
  });

  it("asks once for the tests before finish, and records the run with its exit code", async () => {
    const context = { instructions: [], testCommands: ["npm test"], lintCommands: [] };
    const { model } = scripted([finish, { name: "bash", arguments: '{"command":"npm test"}' }, finish]);
    const sandbox = memorySandbox({}, () => "1 passing");
    const state = initialState({ ...task, context });
    const { record } = state;
    const result = await runAgent({ ...task, context }, config(), io(model, sandbox), state);
    expect(result).toEqual({ title: "T", summary: "S" });
    expect(record.checks).toEqual([{ command: "npm test", exitCode: 0 }]);
    expect(record.usage.steps).toBe(1);
  });

  it("lets finish through after one nudge even if tests never run", async () => {
    const context = { instructions: [], testCommands: ["pytest"], lintCommands: [] };
    const { model } = scripted([finish, finish]);
    const state = initialState({ ...task, context });
    const { record } = state;
    await runAgent({ ...task, context }, config(), io(model, memorySandbox({})), state);
    expect(record.checks).toEqual([]);
  });
});

describe("checks", () => {
  it("tells test runs from lint runs", () => {
    expect(isCheck("npx eslint .", [])).toBe(true);
    expect(isCheck("cat README.md", [])).toBe(false);
    expect(isCheck("./scripts/check.sh", ["./scripts/check.sh"])).toBe(true);
    expect(ranTests([{ command: "npx eslint .", exitCode: 0 }], ["npm test"])).toBe(false);
    expect(ranTests([{ command: "cd pkg && npm test -- --run", exitCode: 1 }], ["npm test"])).toBe(true);
    expect(ranTests([{ command: "python -m pytest -q", exitCode: 0 }], ["make test"])).toBe(true);
  });
});

describe("resuming from a checkpoint", () => {
  it("continues after the last saved turn; the turn in flight re-runs its command under the same key, once", async () => {
    const append = (n: number) => ({
      name: "bash",
      arguments: JSON.stringify({ command: `echo ${n} >> log` }),
    });
    const { model } = scripted([append(1), append(2), finish]);
    const asked: number[] = [];
    const counting: Model = {
      complete: (messages, tools) => {
        asked.push(messages.filter((m) => m.role === "assistant").length + 1);
        return model.complete(messages, tools);
      },
    };
    // The sandbox service's contract: a repeated idempotency key returns the first result.
    const log: string[] = [];
    const results = new Map<string, string>();
    let dieAfterRunning = "echo 2 >> log";
    const sandbox = memorySandbox({});
    sandbox.exec = async (argv, options) => {
      const key = options.idempotencyKey ?? "";
      const command = argv.at(-1) ?? "";
      if (!results.has(key)) {
        log.push(command);
        results.set(key, `ran ${command}`);
      }
      if (command === dieAfterRunning) {
        dieAfterRunning = "";
        throw new Error("runtime died");
      }
      return {
        exitCode: 0,
        output: results.get(key) ?? "",
        truncated: false,
        timedOut: false,
        durationMs: 1,
      };
    };
    const saved: Message[] = [];
    let savedTurn = 0;
    const checkpointing = {
      ...io(counting, sandbox),
      checkpoint: async (save: { turn: number; from: number; messages: Message[] }) => {
        saved.splice(save.from, saved.length - save.from, ...structuredClone(save.messages));
        savedTurn = save.turn;
      },
    };
    const first = initialState(task);
    await expect(runAgent(task, config(), checkpointing, first)).rejects.toThrow("runtime died");
    const resumed = { ...first, turn: savedTurn, messages: structuredClone(saved) };
    const result = await runAgent(task, config(), checkpointing, resumed);
    expect(result).toEqual({ title: "T", summary: "S" });
    expect(log).toEqual(["echo 1 >> log", "echo 2 >> log"]);
    // Turn 2's reply was saved before its command ran, so the model is never asked for it again.
    expect(asked).toEqual([1, 2, 3]);
    expect(resumed.messages.filter((m) => m.role === "tool")).toHaveLength(2);
  });
});
