// OpenAI's chat-completions wire objects, built from a scripted reply: the `chat.completion`
// object, and the `chat.completion.chunk` sequence a streaming request gets (tool-call deltas
// split the way the real API splits them: id and name first, then arguments in pieces).
import { randomBytes } from "node:crypto";
import type { ChatRequest, ReplyTurn } from "./openai-script";

/** A scripted reply made concrete: ids chosen, arguments encoded, usage counted. */
export interface Reply {
  id: string;
  created: number;
  model: string;
  content: string | null;
  toolCalls: { id: string; name: string; arguments: string }[];
  finishReason: string;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

const FINGERPRINT = "fp_standin01";

/** Fills in what the script left out: ids, JSON-encoded arguments, finish reason, token counts. */
export function resolveReply(turn: ReplyTurn, request: ChatRequest): Reply {
  const toolCalls = (turn.toolCalls ?? []).map((call) => ({
    id: call.id ?? `call_${randomBytes(12).toString("hex")}`,
    name: call.name,
    arguments: typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments),
  }));
  const content = turn.content ?? null;
  const written = (content ?? "") + toolCalls.map((c) => c.name + c.arguments).join("");
  const prompt = turn.usage?.promptTokens ?? Math.ceil(JSON.stringify(request.messages).length / 4);
  const completion = turn.usage?.completionTokens ?? Math.max(1, Math.ceil(written.length / 4));
  return {
    id: `chatcmpl-${randomBytes(15).toString("base64url")}`,
    created: Math.floor(Date.now() / 1000),
    model: request.model,
    content,
    toolCalls,
    finishReason: turn.finishReason ?? (toolCalls.length > 0 ? "tool_calls" : "stop"),
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  };
}

function usageObject(reply: Reply) {
  return {
    ...reply.usage,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** The non-streaming `chat.completion` object. */
export function completionObject(reply: Reply) {
  const message: Record<string, unknown> = {
    role: "assistant",
    content: reply.content,
    refusal: null,
    annotations: [],
  };
  if (reply.toolCalls.length > 0) {
    message.tool_calls = reply.toolCalls.map((c) => ({
      id: c.id,
      type: "function",
      function: { name: c.name, arguments: c.arguments },
    }));
  }
  return {
    id: reply.id,
    object: "chat.completion",
    created: reply.created,
    model: reply.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: reply.finishReason }],
    usage: usageObject(reply),
    service_tier: "default",
    system_fingerprint: FINGERPRINT,
  };
}

/** The `chat.completion.chunk` objects of a streamed reply, in order (without `[DONE]`). */
export function completionChunks(reply: Reply, includeUsage: boolean): object[] {
  const chunk = (delta: object, finishReason: string | null = null) => ({
    id: reply.id,
    object: "chat.completion.chunk",
    created: reply.created,
    model: reply.model,
    service_tier: "default",
    system_fingerprint: FINGERPRINT,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const chunks: object[] = [];
  const hasText = reply.content !== null && reply.content !== "";
  chunks.push(
    chunk({ role: "assistant", content: hasText || reply.toolCalls.length === 0 ? "" : null, refusal: null }),
  );
  if (hasText) for (const piece of pieces(reply.content ?? "")) chunks.push(chunk({ content: piece }));
  reply.toolCalls.forEach((call, index) => {
    chunks.push(
      chunk({
        tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }],
      }),
    );
    for (const piece of pieces(call.arguments)) {
      chunks.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
    }
  });
  chunks.push(chunk({}, reply.finishReason));
  if (includeUsage) {
    const { choices: _choices, ...rest } = chunk({});
    chunks.push({ ...rest, choices: [], usage: usageObject(reply) });
  }
  return chunks;
}

/** Splits text into about three pieces on code-point boundaries (nothing for empty text). */
function pieces(text: string): string[] {
  const points = Array.from(text);
  if (points.length === 0) return [];
  const size = Math.max(1, Math.ceil(points.length / 3));
  const out: string[] = [];
  for (let i = 0; i < points.length; i += size) out.push(points.slice(i, i + size).join(""));
  return out;
}
