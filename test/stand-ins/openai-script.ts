// What a test scripts the OpenAI stand-in to say: the assistant's next turns, faults, and turns
// computed from the request. Scripts can be keyed by a marker in the first user message so that
// concurrent jobs in one test each replay their own trajectory.
import type { ChatCompletionCreateParams } from "openai/resources/chat/completions";

export type ChatRequest = ChatCompletionCreateParams;

export interface ScriptedToolCall {
  name: string;
  /** An object is JSON-encoded on the wire; a string is sent verbatim (e.g. to test bad JSON). */
  arguments: Record<string, unknown> | string;
  /** Defaults to a fresh `call_…` id. */
  id?: string;
}

export interface ReplyTurn {
  content?: string;
  toolCalls?: ScriptedToolCall[];
  usage?: { promptTokens?: number; completionTokens?: number };
  /** Defaults to `tool_calls` when there are tool calls, else `stop`. */
  finishReason?: "stop" | "tool_calls" | "length" | "content_filter";
}

/** An HTTP error in OpenAI's shape (`retryAfter` in seconds), or a request never answered. */
export type FaultTurn =
  | { status: 400 | 429 | 500 | 503; retryAfter?: number; message?: string }
  | { hang: true };

export type Turn = ReplyTurn | FaultTurn;

/** A turn computed from the request it answers; throwing answers 400 and records the error. */
export type TurnFn = (request: ChatRequest, context: { turn: number }) => Turn | Promise<Turn>;

export type Script = ReadonlyArray<Turn | TurnFn>;

export const EXHAUSTED_TEXT = "(script exhausted)";

interface Cursor {
  key: string | undefined;
  turns: Script;
  next: number;
}

/** The scripts in play and how far each has been replayed. */
export class ScriptBook {
  #default: Cursor = { key: undefined, turns: [], next: 0 };
  readonly #keyed: Cursor[] = [];

  /** Replaces the script for `key` (or the default script) and rewinds it. */
  set(turns: Script, key?: string): void {
    const cursor = { key, turns, next: 0 };
    if (key === undefined) {
      this.#default = cursor;
      return;
    }
    const at = this.#keyed.findIndex((c) => c.key === key);
    if (at >= 0) this.#keyed[at] = cursor;
    else this.#keyed.push(cursor);
  }

  /** Turns not yet replayed by the script for `key` (or the default script). */
  remaining(key?: string): number {
    const cursor = key === undefined ? this.#default : this.#keyed.find((c) => c.key === key);
    return cursor ? cursor.turns.length - cursor.next : 0;
  }

  /** Takes the next turn for `request`; undefined when that script is exhausted. */
  take(request: ChatRequest): { turn: Turn | TurnFn; index: number } | undefined {
    const text = firstUserText(request);
    const cursor = this.#keyed.find((c) => c.key !== undefined && text.includes(c.key)) ?? this.#default;
    const turn = cursor.turns[cursor.next];
    if (turn === undefined) return undefined;
    return { turn, index: cursor.next++ };
  }
}

/** The text of the first user message: what a keyed script is matched against. */
export function firstUserText(request: ChatRequest): string {
  const first = request.messages.find((m) => m.role === "user");
  if (!first) return "";
  if (typeof first.content === "string") return first.content;
  return first.content.map((part) => (part.type === "text" ? part.text : "")).join("");
}

/** Narrows a turn to a fault. */
export function isFault(turn: Turn): turn is FaultTurn {
  return "hang" in turn || "status" in turn;
}
