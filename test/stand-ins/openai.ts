// A loopback OpenAI-compatible server for tests: `POST /v1/chat/completions` replays a scripted
// trajectory (streaming or not) in OpenAI's real wire format, so the real openai SDK drives it.
// See README.md in this folder for what it implements.

import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { listenLoopback, readBody, sendJson } from "./loopback-server";
import {
  type ChatRequest,
  EXHAUSTED_TEXT,
  type FaultTurn,
  isFault,
  type Script,
  ScriptBook,
  type Turn,
} from "./openai-script";
import { type OpenAIError, openAIError, validateChatRequest } from "./openai-validate";
import { completionChunks, completionObject, resolveReply } from "./openai-wire";

export type {
  ChatRequest,
  FaultTurn,
  ReplyTurn,
  Script,
  ScriptedToolCall,
  Turn,
  TurnFn,
} from "./openai-script";
export { EXHAUSTED_TEXT } from "./openai-script";

export interface OpenAIStandInOptions {
  /** The only key accepted in `Authorization: Bearer …`; default `sk-stand-in`. */
  apiKey?: string;
  /** The default script (same as calling `setScript` right away). */
  script?: Script;
  /** Model ids listed by `GET /v1/models`; default `["gpt-stand-in"]`. */
  models?: string[];
}

export interface RejectedRequest {
  method: string;
  path: string;
  /** The parsed JSON body, or undefined when it was not JSON. */
  body: unknown;
  status: number;
  error: OpenAIError["body"]["error"];
}

export interface OpenAIStandIn {
  /** Base URL for `new OpenAI({ baseURL })`, ending in `/v1`. */
  url: string;
  apiKey: string;
  /** Every chat-completions body that passed validation, in arrival order. */
  requests: ChatRequest[];
  /**
   * Every validated chat request with how long the stand-in took to answer it, from its body in
   * hand to its last byte written: the model's share of a job's time, which benchmarks subtract.
   */
  answered: { request: ChatRequest; ms: number }[];
  /** Errors thrown by function turns (each answered 400); tests should assert it stays empty. */
  errors: unknown[];
  /**
   * Every request refused as OpenAI would refuse it (bad auth, URL or body), with the error it got;
   * scripted faults are not listed. Tests of a client should assert it stays empty.
   */
  rejected: RejectedRequest[];
  /** Replaces the script for requests whose first user message contains `key` (or the default). */
  setScript(script: Script, key?: string): void;
  /** Turns not yet replayed by the script for `key` (or the default script). */
  remaining(key?: string): number;
  close(): Promise<void>;
}

/** Starts the OpenAI stand-in on 127.0.0.1 (free port). */
export async function startOpenAIStandIn(opts: OpenAIStandInOptions = {}): Promise<OpenAIStandIn> {
  const apiKey = opts.apiKey ?? "sk-stand-in";
  const models = opts.models ?? ["gpt-stand-in"];
  const book = new ScriptBook();
  if (opts.script) book.set(opts.script);
  const requests: ChatRequest[] = [];
  const answered: { request: ChatRequest; ms: number }[] = [];
  const errors: unknown[] = [];
  const rejected: RejectedRequest[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    const received = performance.now();
    const path = new URL(req.url ?? "/", "http://x").pathname.replace(/\/+$/, "");
    let parsed: unknown;
    try {
      parsed = body.length === 0 ? undefined : JSON.parse(body.toString("utf8"));
    } catch {
      // Not JSON at all: OpenAI answers the same 400 as for a non-object body.
      parsed = undefined;
    }
    const reject = (error: OpenAIError) => {
      rejected.push({ method: req.method ?? "", path, body: parsed, status: error.status, ...error.body });
      sendError(res, error);
    };
    const authError = checkAuth(req.headers.authorization, apiKey);
    if (authError) return reject(authError);
    if (req.method === "GET" && path === "/v1/models") {
      const data = models.map((id) => ({
        id,
        object: "model",
        created: 1_700_000_000,
        owned_by: "stand-in",
      }));
      return sendJson(res, 200, { object: "list", data }, openAIHeaders());
    }
    if (path !== "/v1/chat/completions") {
      return reject(openAIError(404, `Invalid URL (${req.method} ${path})`));
    }
    if (req.method !== "POST") {
      return reject(openAIError(405, `Invalid method for URL (${req.method} ${path})`));
    }
    const invalid = validateChatRequest(parsed);
    if (invalid) return reject(invalid);
    const request = parsed as ChatRequest;
    requests.push(request);
    res.once("finish", () => answered.push({ request, ms: performance.now() - received }));
    const next = book.take(request);
    let turn: Turn;
    try {
      turn = !next
        ? { content: EXHAUSTED_TEXT }
        : typeof next.turn === "function"
          ? await next.turn(request, { turn: next.index })
          : next.turn;
    } catch (error) {
      errors.push(error);
      return sendError(res, openAIError(400, `stand-in script error: ${String(error)}`));
    }
    if (isFault(turn)) return sendFault(res, turn);
    const reply = resolveReply(turn, request);
    if (request.stream !== true) return sendJson(res, 200, completionObject(reply), openAIHeaders());
    const includeUsage = request.stream_options?.include_usage === true;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      ...openAIHeaders(),
    });
    for (const chunk of completionChunks(reply, includeUsage))
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    res.end("data: [DONE]\n\n");
  };

  const server = await listenLoopback(handle, (error) => errors.push(error));
  return {
    url: `${server.origin}/v1`,
    apiKey,
    requests,
    answered,
    errors,
    rejected,
    setScript: (script, key) => book.set(script, key),
    remaining: (key) => book.remaining(key),
    close: () => server.close(),
  };
}

function checkAuth(header: string | undefined, apiKey: string): OpenAIError | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? "");
  if (!match) {
    return openAIError(
      401,
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
    );
  }
  if (match[1] !== apiKey) {
    const shown = `${(match[1] ?? "").slice(0, 3)}****${(match[1] ?? "").slice(-4)}`;
    return openAIError(401, `Incorrect API key provided: ${shown}.`, null, "invalid_api_key");
  }
  return undefined;
}

function openAIHeaders(): Record<string, string> {
  return {
    "x-request-id": `req_${randomUUID().replace(/-/g, "")}`,
    "openai-version": "2020-10-01",
    "openai-processing-ms": "1",
  };
}

function sendError(res: ServerResponse, error: OpenAIError): void {
  sendJson(res, error.status, error.body, openAIHeaders());
}

function sendFault(res: ServerResponse, fault: FaultTurn): void {
  // A hung request is left open; the client's timeout or close() ends it.
  if ("hang" in fault) return;
  const headers: Record<string, string> = openAIHeaders();
  if (fault.retryAfter !== undefined) headers["retry-after"] = String(fault.retryAfter);
  const error =
    fault.status === 429
      ? openAIError(
          429,
          fault.message ?? "Rate limit reached for requests (stand-in).",
          null,
          "rate_limit_exceeded",
          "requests",
        )
      : fault.status === 400
        ? openAIError(400, fault.message ?? "Bad request (stand-in).")
        : openAIError(
            fault.status,
            fault.message ?? "The server had an error while processing your request. Sorry about that!",
            null,
            null,
            "server_error",
          );
  sendJson(res, error.status, error.body, headers);
}
