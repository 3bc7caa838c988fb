/**
 * The `Model` interface the agent loop owns, and its first implementation: OpenAI-style chat
 * completions with tools, which every OpenAI-compatible server speaks. Streaming is optional:
 * it keeps long generations from idling a connection through proxies and gateways.
 */

import { SpanKind } from "@opentelemetry/api";
import type OpenAI from "openai";
import type {
  ChatCompletion,
  ChatCompletionAssistantMessageParam,
  ChatCompletionMessageParam,
} from "openai/resources/chat/completions";
import { inSpan } from "../../telemetry/spans";
import { ModelError } from "../errors";
import { tracer } from "../telemetry/tracing";
import { describeModelFailure } from "./model-failure";

export type Message = ChatCompletionMessageParam;

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
}

export interface ToolCall {
  id: string;
  name: string;
  /** Raw JSON text as the model wrote it; validated by the tool dispatcher. */
  arguments: string;
}

export interface ModelReply {
  /**
   * The assistant message exactly as it goes back into the transcript; null for an empty reply
   * (no text, no tool calls), which OpenAI refuses as a message (`content` may be null only
   * beside `tool_calls`).
   */
  message: ChatCompletionAssistantMessageParam | null;
  /** What the model said, or null when it said nothing but whitespace. */
  text: string | null;
  toolCalls: ToolCall[];
  usage: { promptTokens: number; completionTokens: number };
}

export interface Model {
  complete(messages: Message[], tools: ToolSpec[]): Promise<ModelReply>;
}

/**
 * Chat completions through the openai SDK; its own retries with backoff cover 429 and 5xx. A
 * failure comes out as a ModelError whose message names its cause (model-failure.ts).
 */
export class ChatCompletionsModel implements Model {
  constructor(
    private readonly client: OpenAI,
    private readonly model: string,
    private readonly stream: boolean,
  ) {}

  /** One chat call, as a GenAI client span (semantic conventions: no prompt or reply text in it). */
  complete(messages: Message[], tools: ToolSpec[]): Promise<ModelReply> {
    const attributes = {
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": this.model,
    };
    return inSpan(
      tracer(),
      `chat ${this.model}`,
      attributes,
      async (span) => {
        let completion: ChatCompletion;
        try {
          completion = await this.completion(messages, tools);
        } catch (error) {
          const failure = describeModelFailure(error, this.client.baseURL, this.model);
          throw failure ? new ModelError(failure.message, failure.retryable) : error;
        }
        const reply = toReply(completion);
        span.setAttributes({
          "gen_ai.response.model": completion.model,
          "gen_ai.usage.input_tokens": reply.usage.promptTokens,
          "gen_ai.usage.output_tokens": reply.usage.completionTokens,
          "gen_ai.response.finish_reasons": completion.choices.map((c) => c.finish_reason ?? "unknown"),
        });
        return reply;
      },
      SpanKind.CLIENT,
    );
  }

  private async completion(messages: Message[], tools: ToolSpec[]): Promise<ChatCompletion> {
    const body = {
      model: this.model,
      messages,
      tools: tools.map((t) => ({ type: "function" as const, function: t })),
      tool_choice: "auto" as const,
    };
    return this.stream
      ? await this.client.chat.completions
          .stream({ ...body, stream_options: { include_usage: true } })
          .finalChatCompletion()
      : await this.client.chat.completions.create(body);
  }
}

function toReply(completion: ChatCompletion): ModelReply {
  const choice = completion.choices[0];
  if (!choice) throw new Error("the model returned no choices");
  const toolCalls: ToolCall[] = [];
  for (const call of choice.message.tool_calls ?? []) {
    if (call.type === "function") {
      toolCalls.push({ id: call.id, name: call.function.name, arguments: call.function.arguments });
    }
  }
  const text = choice.message.content?.trim() ? choice.message.content : null;
  return {
    message: assistantMessage(text, toolCalls),
    text,
    toolCalls,
    usage: {
      promptTokens: completion.usage?.prompt_tokens ?? 0,
      completionTokens: completion.usage?.completion_tokens ?? 0,
    },
  };
}

/** The transcript's copy of a reply: text, tool calls or both; null when there is neither. */
export function assistantMessage(
  text: string | null,
  toolCalls: ToolCall[],
): ChatCompletionAssistantMessageParam | null {
  if (toolCalls.length === 0) return text === null ? null : { role: "assistant", content: text };
  return {
    role: "assistant",
    content: text,
    tool_calls: toolCalls.map((c) => ({
      id: c.id,
      type: "function",
      function: { name: c.name, arguments: c.arguments },
    })),
  };
}
