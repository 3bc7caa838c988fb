// The request checks OpenAI itself makes that a buggy agent loop would trip over (missing model or
// messages, a message without content — an assistant's may be null only beside tool calls —,
// tool messages that answer nothing, tool calls left unanswered), with OpenAI's error JSON shape
// and wording, so the stand-in fails where the real API would.

export interface OpenAIError {
  status: number;
  body: { error: { message: string; type: string; param: string | null; code: string | null } };
}

/** An OpenAI-shaped error response. */
export function openAIError(
  status: number,
  message: string,
  param: string | null = null,
  code: string | null = null,
  type = "invalid_request_error",
): OpenAIError {
  return { status, body: { error: { message, type, param, code } } };
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const ROLES = new Set(["system", "developer", "user", "assistant", "tool", "function"]);

/** Checks a parsed `POST /v1/chat/completions` body; undefined when OpenAI would accept it. */
export function validateChatRequest(body: unknown): OpenAIError | undefined {
  if (!isObject(body)) {
    return openAIError(400, "We could not parse the JSON body of your request. (HINT: …)");
  }
  if (typeof body.model !== "string" || body.model === "") {
    return openAIError(400, "you must provide a model parameter");
  }
  if (body.messages === undefined) {
    return openAIError(
      400,
      "Missing required parameter: 'messages'.",
      "messages",
      "missing_required_parameter",
    );
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return openAIError(400, "[] is too short - 'messages'", "messages", "empty_array");
  }
  if (body.stream_options != null && body.stream !== true) {
    return openAIError(
      400,
      "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
      "stream_options",
    );
  }
  return validateTools(body.tools) ?? validateMessages(body.messages);
}

function validateTools(tools: unknown): OpenAIError | undefined {
  if (tools === undefined) return undefined;
  if (!Array.isArray(tools)) return openAIError(400, "Invalid type for 'tools': expected an array.", "tools");
  for (const [i, tool] of tools.entries()) {
    const fn = isObject(tool) ? tool.function : undefined;
    if (!isObject(tool) || tool.type !== "function" || !isObject(fn) || typeof fn.name !== "string") {
      return openAIError(400, `Missing required parameter: 'tools[${i}].function'.`, `tools[${i}].function`);
    }
  }
  return undefined;
}

function validateMessages(messages: unknown[]): OpenAIError | undefined {
  // Tool call ids the latest assistant message asked for and no tool message has answered yet.
  let pending: { index: number; ids: Set<string> } | undefined;
  for (const [i, message] of messages.entries()) {
    if (!isObject(message) || typeof message.role !== "string" || !ROLES.has(message.role)) {
      return openAIError(
        400,
        `Invalid value for 'messages[${i}].role'.`,
        `messages.[${i}].role`,
        "invalid_value",
      );
    }
    const contentError = validateContent(message, i);
    if (contentError) return contentError;
    if (message.role === "tool") {
      if (!pending) {
        return openAIError(
          400,
          "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
          `messages.[${i}].role`,
        );
      }
      const id = message.tool_call_id;
      if (typeof id !== "string" || !pending.ids.has(id)) {
        return openAIError(
          400,
          `Invalid parameter: 'tool_call_id' of '${String(id)}' not found in 'tool_calls' of previous message.`,
          `messages.[${i}].tool_call_id`,
        );
      }
      pending.ids.delete(id);
      continue;
    }
    const unanswered = unansweredError(pending);
    if (unanswered) return unanswered;
    pending = undefined;
    if (message.role === "assistant" && Array.isArray(message.tool_calls) && message.tool_calls.length > 0) {
      const ids = message.tool_calls.map((c) => (isObject(c) ? c.id : undefined));
      pending = { index: i, ids: new Set(ids.filter((id): id is string => typeof id === "string")) };
    }
  }
  return unansweredError(pending);
}

/** Content is required on every message; only an assistant's that carries tool calls may be null. */
function validateContent(message: Json, i: number): OpenAIError | undefined {
  const param = `messages.[${i}].content`;
  const calls = message.tool_calls;
  if (message.role === "assistant" && Array.isArray(calls) && calls.length === 0) {
    return openAIError(
      400,
      `Invalid 'messages[${i}].tool_calls': empty array. Expected an array with minimum length 1, but got an empty array instead.`,
      `messages.[${i}].tool_calls`,
      "empty_array",
    );
  }
  const withCalls = message.role === "assistant" && Array.isArray(calls) && calls.length > 0;
  const { content } = message;
  if (content === undefined) {
    if (withCalls) return undefined;
    return openAIError(400, `Missing required parameter: '${param}'.`, param, "missing_required_parameter");
  }
  if (content === null) {
    if (withCalls) return undefined;
    return openAIError(400, "Invalid value for 'content': expected a string, got null.", param);
  }
  if (typeof content !== "string" && !Array.isArray(content)) {
    return openAIError(
      400,
      `Invalid type for '${param}': expected one of a string or array of objects, but got ${typeof content} instead.`,
      param,
      "invalid_type",
    );
  }
  return undefined;
}

function unansweredError(pending: { index: number; ids: Set<string> } | undefined): OpenAIError | undefined {
  if (!pending || pending.ids.size === 0) return undefined;
  return openAIError(
    400,
    "An assistant message with 'tool_calls' must be followed by tool messages responding to each " +
      `'tool_call_id'. The following tool_call_ids did not have response messages: ${[...pending.ids].join(", ")}`,
    `messages.[${pending.index}].role`,
  );
}
