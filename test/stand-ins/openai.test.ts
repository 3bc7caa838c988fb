// Drives the OpenAI stand-in with the real openai SDK: plain and streamed replies, tool calls
// assembled from deltas, usage, function turns, keyed scripts, validation, auth and faults.
import OpenAI, { APIConnectionTimeoutError, APIError } from "openai";
import type { ChatCompletionMessageParam, ChatCompletionTool } from "openai/resources/chat/completions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXHAUSTED_TEXT, type OpenAIStandIn, startOpenAIStandIn } from "./openai";

const tools: ChatCompletionTool[] = [
  {
    type: "function",
    function: {
      name: "bash",
      description: "run",
      parameters: { type: "object", properties: { command: { type: "string" } } },
    },
  },
];
const user = (text: string): ChatCompletionMessageParam[] => [
  { role: "system", content: "You are a coding agent." },
  { role: "user", content: text },
];

let ai: OpenAIStandIn;
let client: OpenAI;
beforeAll(async () => {
  ai = await startOpenAIStandIn();
  client = new OpenAI({ baseURL: ai.url, apiKey: ai.apiKey, maxRetries: 0 });
});
afterAll(() => ai.close());

describe("OpenAI stand-in", () => {
  it("answers non-streaming with tool calls, then text, then reports exhaustion", async () => {
    ai.setScript([
      {
        content: "Looking.",
        toolCalls: [{ name: "bash", arguments: { command: "ls -la" } }],
        usage: { promptTokens: 120, completionTokens: 7 },
      },
      { content: "Done." },
    ]);
    const first = await client.chat.completions.create({ model: "gpt-x", messages: user("go"), tools });
    const choice = first.choices[0];
    expect(first.object).toBe("chat.completion");
    expect(first.model).toBe("gpt-x");
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message.content).toBe("Looking.");
    const call = choice?.message.tool_calls?.[0];
    expect(call?.type === "function" && JSON.parse(call.function.arguments)).toEqual({ command: "ls -la" });
    expect(first.usage).toMatchObject({ prompt_tokens: 120, completion_tokens: 7, total_tokens: 127 });

    const history: ChatCompletionMessageParam[] = [
      ...user("go"),
      { role: "assistant", content: "Looking.", tool_calls: choice?.message.tool_calls ?? [] },
      { role: "tool", tool_call_id: call?.id ?? "", content: "total 0" },
    ];
    const second = await client.chat.completions.create({ model: "gpt-x", messages: history, tools });
    expect(second.choices[0]?.finish_reason).toBe("stop");
    expect(second.choices[0]?.message.content).toBe("Done.");
    expect(second.usage?.prompt_tokens).toBeGreaterThan(0);

    const third = await client.chat.completions.create({ model: "gpt-x", messages: history, tools });
    expect(third.choices[0]?.message.content).toBe(EXHAUSTED_TEXT);
    expect(ai.requests).toHaveLength(3);
    expect(ai.requests[1]?.messages[3]).toMatchObject({ role: "tool", content: "total 0" });
  });

  it("streams text and several tool calls split across chunks, with usage", async () => {
    const args = { command: "grep -rn 'TODO' src/ | head -n 20 # ünïcødé ✓" };
    ai.setScript([
      {
        content: "Let me search the code base first.",
        toolCalls: [
          { name: "bash", arguments: args },
          { name: "finish", arguments: { title: "t", summary: "s" } },
        ],
        usage: { promptTokens: 50, completionTokens: 9 },
      },
    ]);
    const stream = client.chat.completions.stream({
      model: "gpt-x",
      messages: user("stream please"),
      tools,
      stream_options: { include_usage: true },
    });
    const argDeltas: string[] = [];
    stream.on("tool_calls.function.arguments.delta", (e) => argDeltas.push(e.arguments_delta));
    const final = await stream.finalChatCompletion();
    const message = final.choices[0]?.message;
    expect(final.choices[0]?.finish_reason).toBe("tool_calls");
    expect(message?.content).toBe("Let me search the code base first.");
    const calls = (message?.tool_calls ?? []).map((c) => (c.type === "function" ? c.function : undefined));
    expect(calls.map((c) => c?.name)).toEqual(["bash", "finish"]);
    expect(JSON.parse(calls[0]?.arguments ?? "")).toEqual(args);
    expect(argDeltas.length).toBeGreaterThan(3);
    expect(final.usage).toMatchObject({ prompt_tokens: 50, completion_tokens: 9 });
  });

  it("streams raw chunks with create({stream: true}) and ends without usage when not asked", async () => {
    ai.setScript([{ content: "hi there" }]);
    const stream = await client.chat.completions.create({
      model: "gpt-x",
      messages: user("x"),
      stream: true,
    });
    let text = "";
    let finish: string | null | undefined;
    let usageSeen = false;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usageSeen = true;
    }
    expect(text).toBe("hi there");
    expect(finish).toBe("stop");
    expect(usageSeen).toBe(false);
  });

  it("computes a turn from the request and keeps keyed scripts apart", async () => {
    ai.setScript([{ content: "default" }]);
    ai.setScript([(req) => ({ content: `echo:${String(req.messages.at(-1)?.content)}` })], "[job-a]");
    ai.setScript([{ content: "b-reply" }], "[job-b]");
    const ask = async (text: string) =>
      (await client.chat.completions.create({ model: "m", messages: user(text) })).choices[0]?.message
        .content;
    expect(await ask("[job-b] hello")).toBe("b-reply");
    expect(await ask("[job-a] hi")).toBe("echo:[job-a] hi");
    expect(await ask("plain")).toBe("default");
    expect(await ask("[job-a] again")).toBe(EXHAUSTED_TEXT);
    expect(ai.remaining("[job-a]")).toBe(0);
  });

  it("rejects requests OpenAI would reject, in OpenAI's error shape", async () => {
    const fail = (body: Record<string, unknown>) =>
      client.chat.completions.create(body as never).then(
        () => undefined,
        (e: unknown) => e,
      );
    const noModel = await fail({ messages: user("x") });
    expect(noModel).toBeInstanceOf(APIError);
    expect((noModel as APIError).status).toBe(400);
    expect((noModel as APIError).error).toMatchObject({
      type: "invalid_request_error",
      param: null,
      code: null,
    });
    expect(((await fail({ model: "m" })) as APIError).param).toBe("messages");
    const orphan = await fail({
      model: "m",
      messages: [...user("x"), { role: "tool", tool_call_id: "call_1", content: "" }],
    });
    expect((orphan as APIError).message).toMatch(/must be a response to a preceeding message/);
    const unanswered = await fail({
      model: "m",
      messages: [
        ...user("x"),
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "call_1", type: "function", function: { name: "bash", arguments: "{}" } }],
        },
        { role: "user", content: "ignored the tool" },
      ],
    });
    expect((unanswered as APIError).message).toMatch(/did not have response messages: call_1/);
    const wrongId = await fail({
      model: "m",
      messages: [
        ...user("x"),
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "call_1", type: "function", function: { name: "bash", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: "call_2", content: "" },
      ],
    });
    expect((wrongId as APIError).param).toBe("messages.[3].tool_call_id");
  });

  it("requires the bearer key", async () => {
    const bad = new OpenAI({ baseURL: ai.url, apiKey: "sk-wrong-key", maxRetries: 0 });
    const error = await bad.models.list().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as APIError).status).toBe(401);
    expect((error as APIError).code).toBe("invalid_api_key");
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(["gpt-stand-in"]);
  });

  it("replays faults: 429 with retry-after is retried by the SDK, a hang times out", async () => {
    ai.setScript([
      { status: 429, retryAfter: 0 },
      { status: 500, retryAfter: 0 },
      { content: "recovered" },
      { hang: true },
    ]);
    const retrying = new OpenAI({ baseURL: ai.url, apiKey: ai.apiKey, maxRetries: 2 });
    const ok = await retrying.chat.completions.create({ model: "m", messages: user("x") });
    expect(ok.choices[0]?.message.content).toBe("recovered");
    const hung = await client.chat.completions
      .create({ model: "m", messages: user("x") }, { timeout: 200 })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(hung).toBeInstanceOf(APIConnectionTimeoutError);
    expect(ai.errors).toEqual([]);
  });
});
