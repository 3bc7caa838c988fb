// The OpenAI stand-in refuses transcripts the real API refuses, driven by the real openai SDK:
// an assistant message without content and without tool calls (null, absent, or an empty
// `tool_calls`), a message of another role with null content, and tool messages that do not
// directly answer the assistant message before them. Each refusal is a 400 in OpenAI's error
// shape, lands in `rejected`, and never reaches the script; the valid forms still pass.
import OpenAI, { APIError } from "openai";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OpenAIStandIn, startOpenAIStandIn } from "./openai";

let ai: OpenAIStandIn;
let client: OpenAI;
beforeAll(async () => {
  ai = await startOpenAIStandIn();
  client = new OpenAI({ baseURL: ai.url, apiKey: ai.apiKey, maxRetries: 0 });
});
afterAll(() => ai.close());

const start: ChatCompletionMessageParam[] = [
  { role: "system", content: "You are a coding agent." },
  { role: "user", content: "fix it" },
];
const calling = (...ids: string[]): ChatCompletionMessageParam => ({
  role: "assistant",
  content: null,
  tool_calls: ids.map((id) => ({ id, type: "function", function: { name: "bash", arguments: "{}" } })),
});
const answer = (id: string): ChatCompletionMessageParam => ({
  role: "tool",
  tool_call_id: id,
  content: "ok",
});

/** Sends `messages` (streamed or not) and returns the SDK's APIError, or undefined on success. */
async function refusal(messages: unknown[], stream = false): Promise<APIError | undefined> {
  ai.setScript([{ content: "fine" }]);
  const body = { model: "gpt-x", messages: messages as ChatCompletionMessageParam[] };
  try {
    if (stream) await client.chat.completions.stream(body).finalChatCompletion();
    else await client.chat.completions.create(body);
    return undefined;
  } catch (error) {
    if (error instanceof APIError) return error;
    throw error;
  }
}

function expectInvalid(error: APIError | undefined, param: string, code: string | null, message: RegExp) {
  expect(error?.status).toBe(400);
  expect(error?.error).toEqual({
    message: expect.stringMatching(message),
    type: "invalid_request_error",
    param,
    code,
  });
}

describe("assistant content", () => {
  it("refuses null content without tool calls, streamed or not", async () => {
    const messages = [...start, { role: "assistant", content: null }, { role: "user", content: "go on" }];
    for (const stream of [false, true]) {
      expectInvalid(
        await refusal(messages, stream),
        "messages.[2].content",
        null,
        /^Invalid value for 'content': expected a string, got null\.$/,
      );
    }
  });

  it("refuses absent content without tool calls", async () => {
    const error = await refusal([...start, { role: "assistant" }, { role: "user", content: "go on" }]);
    expectInvalid(
      error,
      "messages.[2].content",
      "missing_required_parameter",
      /^Missing required parameter: 'messages\.\[2\]\.content'\.$/,
    );
  });

  it("refuses an empty tool_calls array beside null content", async () => {
    const error = await refusal([...start, { role: "assistant", content: null, tool_calls: [] }]);
    expectInvalid(error, "messages.[2].tool_calls", "empty_array", /empty array/);
  });

  it("refuses null content from the user too", async () => {
    const error = await refusal([
      { role: "system", content: "s" },
      { role: "user", content: null },
    ]);
    expectInvalid(error, "messages.[1].content", null, /expected a string, got null/);
  });

  it("accepts null or absent content beside tool calls, and text without them", async () => {
    const { content: _content, ...absent } = calling("call_b") as { content: null };
    const messages = [
      ...start,
      calling("call_a"),
      answer("call_a"),
      absent,
      answer("call_b"),
      { role: "assistant", content: "Done." },
      { role: "user", content: "thanks" },
    ];
    expect(await refusal(messages)).toBeUndefined();
    expect(await refusal(messages, true)).toBeUndefined();
  });
});

describe("tool messages", () => {
  it("refuse a tool message after a non-tool message", async () => {
    const error = await refusal([
      ...start,
      calling("call_1"),
      answer("call_1"),
      { role: "user", content: "and?" },
      answer("call_1"),
    ]);
    expectInvalid(
      error,
      "messages.[5].role",
      null,
      /must be a response to a preceeding message with 'tool_calls'/,
    );
  });

  it("refuse an answer to an earlier assistant message's call", async () => {
    const error = await refusal([
      ...start,
      calling("call_1"),
      answer("call_1"),
      calling("call_2"),
      answer("call_1"),
    ]);
    expectInvalid(
      error,
      "messages.[5].tool_call_id",
      null,
      /'call_1' not found in 'tool_calls' of previous message/,
    );
  });

  it("refuse a call left unanswered before the next message", async () => {
    const error = await refusal([
      ...start,
      calling("call_1", "call_2"),
      answer("call_2"),
      { role: "user", content: "next" },
    ]);
    expectInvalid(error, "messages.[2].role", null, /did not have response messages: call_1$/);
  });

  it("refuse a call left unanswered at the end of the transcript", async () => {
    const error = await refusal([...start, calling("call_1")], true);
    expectInvalid(error, "messages.[2].role", null, /did not have response messages: call_1$/);
  });
});

describe("the record of refusals", () => {
  it("lists each refused request with its error, and keeps it out of `requests`", async () => {
    const before = { requests: ai.requests.length, rejected: ai.rejected.length };
    const messages = [...start, { role: "assistant", content: null }];
    await refusal(messages);
    expect(ai.requests.length).toBe(before.requests);
    expect(ai.rejected.slice(before.rejected)).toEqual([
      {
        method: "POST",
        path: "/v1/chat/completions",
        body: expect.objectContaining({ model: "gpt-x", messages }),
        status: 400,
        error: expect.objectContaining({ param: "messages.[2].content" }),
      },
    ]);
    expect(await refusal(start)).toBeUndefined();
    expect(ai.rejected.length).toBe(before.rejected + 1);
    expect(ai.requests.length).toBe(before.requests + 1);
  });
});
