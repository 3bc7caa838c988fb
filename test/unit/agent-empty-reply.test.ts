// Empty model replies in the agent loop, on our own seams (a scripted `Model`, an in-memory
// `Sandbox`): every prompt the loop builds passes the OpenAI stand-in's request checks, an empty
// reply is answered with a nudge instead of entering the transcript, and a model that only ever
// says nothing is stopped by the step budget.
import { describe, expect, it } from "vitest";
import { type AgentConfig, immediate, initialState, runAgent } from "../../src/worker/agent/loop";
import { assistantMessage, type Message, type Model, type ModelReply } from "../../src/worker/agent/model";
import { LimitError } from "../../src/worker/errors";
import { validateChatRequest } from "../stand-ins/openai-validate";
import { memorySandbox } from "./memory-sandbox";

interface Say {
  text?: string;
  call?: { name: string; arguments: string };
}

/** A Model replaying `turns` (then empty replies), checking each prompt as OpenAI would. */
function scripted(turns: Say[]) {
  const prompts: Message[][] = [];
  let turn = 0;
  const model: Model = {
    async complete(messages: Message[]): Promise<ModelReply> {
      const refused = validateChatRequest({ model: "m", messages });
      if (refused) throw new Error(`OpenAI would refuse turn ${turn + 1}: ${refused.body.error.message}`);
      prompts.push(structuredClone(messages));
      const next = turns[turn++] ?? {};
      const raw = next.text ?? null;
      const text = raw?.trim() ? raw : null;
      const toolCalls = next.call ? [{ ...next.call, id: `call_${turn}` }] : [];
      return {
        message: assistantMessage(text, toolCalls),
        text,
        toolCalls,
        usage: { promptTokens: 10, completionTokens: 1 },
      };
    },
  };
  return { model, prompts };
}

const config = (over: Partial<AgentConfig> = {}): AgentConfig => ({
  maxSteps: 10,
  maxTokens: 10_000_000,
  deadline: Date.now() + 60_000,
  commandTimeoutMs: 5000,
  maxOutputChars: 20_000,
  prompt: { maxChars: 60_000, keepRecent: 4 },
  ...over,
});

const io = (model: Model) => ({
  model,
  sandbox: memorySandbox({ "a.txt": "a\n" }),
  durable: immediate,
  emit: async () => {},
  keyPrefix: "job",
  checkpoint: async () => {},
});

const task = { repo: "acme/api", baseBranch: "main", prompt: "do it" };
const finish = { name: "finish", arguments: JSON.stringify({ title: "T", summary: "S" }) };
const view = { name: "view", arguments: JSON.stringify({ path: "a.txt" }) };

describe("empty model replies", () => {
  it("stay out of the transcript, are nudged, and the run still finishes", async () => {
    const { model, prompts } = scripted([
      {},
      { text: "  \n\t" },
      { call: view },
      { text: "" },
      { call: finish },
    ]);
    const state = initialState(task);
    const { record } = state;
    expect(await runAgent(task, config(), io(model), state)).toEqual({ title: "T", summary: "S" });
    expect(prompts).toHaveLength(5);
    expect(record.emptyReplies).toBe(3);
    expect(record.usage.steps).toBe(1);
    const last = prompts.at(-1) ?? [];
    expect(last.map((m) => m.role)).toEqual(["system", "user", "user", "user", "assistant", "tool", "user"]);
    expect(last.filter((m) => m.role === "user").slice(1)).toEqual(
      Array(3).fill({ role: "user", content: expect.stringMatching(/^Your last reply was empty\./) }),
    );
    expect(last.some((m) => m.role === "assistant" && m.content === null && !m.tool_calls)).toBe(false);
  });

  it("keep text without tool calls as an assistant message", async () => {
    const { model, prompts } = scripted([{ text: "Thinking about it." }, { call: finish }]);
    await runAgent(task, config(), io(model), initialState(task));
    expect(prompts[1]?.slice(2)).toEqual([
      { role: "assistant", content: "Thinking about it." },
      { role: "user", content: "Use the tools to make the change, then call `finish`." },
    ]);
  });

  it("use up the step budget, so a model that never answers is stopped", async () => {
    const { model, prompts } = scripted([]);
    const state = initialState(task);
    const { record } = state;
    const run = runAgent(task, config({ maxSteps: 3 }), io(model), state);
    await expect(run).rejects.toThrow(LimitError);
    await expect(run).rejects.toThrow(
      "The agent used all 3 steps before finishing (3 of them on empty model replies).",
    );
    expect(prompts).toHaveLength(4);
    expect(record.emptyReplies).toBe(3);
  });

  it("share the budget with tool calls", async () => {
    const { model } = scripted([{}, { call: view }, {}, { call: view }, { call: finish }]);
    const state = initialState(task);
    const { record } = state;
    const run = runAgent(task, config({ maxSteps: 3 }), io(model), state);
    await expect(run).rejects.toThrow(/all 3 steps before finishing \(2 of them on empty model replies\)/);
    expect(record.usage.steps).toBe(1);
  });
});

describe("assistantMessage", () => {
  it("is null only when there is neither text nor a tool call", () => {
    expect(assistantMessage(null, [])).toBeNull();
    expect(assistantMessage("hi", [])).toEqual({ role: "assistant", content: "hi" });
    expect(assistantMessage(null, [{ id: "c", name: "bash", arguments: "{}" }])).toEqual({
      role: "assistant",
      content: null,
      tool_calls: [{ id: "c", type: "function", function: { name: "bash", arguments: "{}" } }],
    });
  });
});
