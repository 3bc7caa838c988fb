// A loopback Slack Web API for tests: chat.postMessage, chat.update, chat.postEphemeral,
// conversations.replies and auth.test in Slack's real JSON shapes (form or JSON bodies, bearer
// token), plus a response_url receiver; each refuses text and Block Kit beyond Slack's limits as
// Slack does (slack-blocks.ts). Messages keep their threads and metadata (slack-threads.ts); the
// token has the scopes manifest.json asks for unless a test says otherwise, and a method refuses
// a token without its scope (`missing_scope`) as Slack does.
// Every call is recorded with its arrival time; faults (429 + Retry-After, a platform error such
// as not_in_channel) can be queued per method. Tests await calls, they never poll.
import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { listenLoopback, readBody, sendJson } from "./loopback-server";
import { checkMessage } from "./slack-blocks";
import { ChannelStore, readMetadata } from "./slack-threads";

/** The bot's ids in this workspace (what an install of the app gives it). */
export const BOT = { userId: "U0BOT", botId: "B0BOT", appId: "A0APP", teamId: "T0STANDIN" } as const;

/** The scopes a method needs (any one of them), where the stand-in checks them. */
const METHOD_SCOPES: Record<string, string> = {
  "chat.postMessage": "chat:write",
  "chat.update": "chat:write",
  "chat.postEphemeral": "chat:write",
};

export interface SlackCall {
  /** `chat.postMessage`…, or `response_url` for posts to a response URL. */
  method: string;
  /** Arrival time (ms since epoch). */
  at: number;
  /** The arguments as Slack reads them; `blocks` parsed from its JSON string. */
  args: Record<string, unknown>;
  /** What the stand-in answered: the JSON body and HTTP status. */
  status: number;
  response: Record<string, unknown>;
}

export type SlackFault = { status: 429; retryAfter: number } | { error: string };

export interface SlackStandIn {
  /** Base URL for `SLACK_API_URL`, ending in `/api/`. */
  apiUrl: string;
  token: string;
  calls: SlackCall[];
  /** A fresh response_url on this server. */
  responseUrl(): string;
  /**
   * Posts `text` as user `user` (in `threadTs`'s thread when given), as a person typing in Slack
   * would; returns the message's ts (what an event about it carries).
   */
  userMessage(message: { channel: string; user: string; text: string; threadTs?: string }): string;
  /** The message at `channel`/`ts` as the stand-in holds it now (metadata included). */
  message(channel: string, ts: string): Record<string, unknown> | undefined;
  /** The next `times` calls of `method` get `fault` instead of success. */
  fail(method: string, fault: SlackFault, times?: number): void;
  /**
   * Calls of `method` wait unanswered (and unrecorded) until the returned function is called: a test
   * proves what does not wait for them, such as a slash command's ack.
   */
  hold(method: string): () => void;
  /** Resolves with the calls so far once `predicate` holds over them (checked on every call). */
  waitFor(predicate: (calls: SlackCall[]) => boolean, timeoutMs?: number): Promise<SlackCall[]>;
  close(): Promise<void>;
}

/** Starts the Slack stand-in on 127.0.0.1 (free port). */
export async function startSlackStandIn(
  opts: { token?: string; scopes?: readonly string[] } = {},
): Promise<SlackStandIn> {
  const token = opts.token ?? "xoxb-stand-in";
  const scopes = opts.scopes ?? manifestScopes();
  const calls: SlackCall[] = [];
  const faults = new Map<string, SlackFault[]>();
  const store = new ChannelStore();
  const events = new EventEmitter();
  const holds = new Map<string, Promise<void>>();
  let responses = 0;

  const record = (call: SlackCall) => {
    calls.push(call);
    events.emit("call");
  };

  const server = await listenLoopback(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://stand-in");
    const args = parseArgs(req, (await readBody(req)).toString("utf8"));
    if (req.method === "POST" && url.pathname.startsWith("/response/")) {
      // A refusal is `{ ok: false, error }` in the body; sent with status 200, so only a client that
      // reads the body (as ours must) notices it.
      const response = checkMessage(args) ?? { ok: true };
      record({
        method: "response_url",
        at: Date.now(),
        args: { ...args, url: url.pathname },
        status: 200,
        response,
      });
      sendJson(res, 200, response);
      return;
    }
    const method = url.pathname.replace(/^\/api\//, "");
    await holds.get(method);
    const answer = (
      status: number,
      response: Record<string, unknown>,
      headers: Record<string, string> = {},
    ) => {
      record({ method, at: Date.now(), args, status, response });
      sendJson(res, status, response, headers);
    };
    if (req.method !== "POST" || !url.pathname.startsWith("/api/"))
      return answer(404, { ok: false, error: "unknown_method" });
    const presented =
      (req.headers.authorization ?? "").replace(/^Bearer\s+/i, "") || String(args.token ?? "");
    if (!presented) return answer(200, { ok: false, error: "not_authed" });
    if (presented !== token) return answer(200, { ok: false, error: "invalid_auth" });
    const fault = faults.get(method)?.shift();
    if (fault && "status" in fault) {
      return answer(429, { ok: false, error: "ratelimited" }, { "retry-after": String(fault.retryAfter) });
    }
    if (fault) return answer(200, { ok: false, error: fault.error });
    const scope = METHOD_SCOPES[method];
    if (scope && !scopes.includes(scope)) {
      return answer(200, { ok: false, error: "missing_scope", needed: scope, provided: scopes.join(",") });
    }
    const channel = typeof args.channel === "string" ? args.channel : "";
    const hasContent = typeof args.text === "string" || Array.isArray(args.blocks);
    const { metadata, refusal: badMetadata } = readMetadata(args);
    const refusal = method.startsWith("chat.") ? (checkMessage(args) ?? badMetadata) : undefined;
    switch (method) {
      case "auth.test":
        return answer(200, {
          ok: true,
          url: "https://stand-in.slack.com/",
          team: "Stand-in",
          user: "modal-coding-agent",
          team_id: "T0STANDIN",
          user_id: BOT.userId,
          bot_id: BOT.botId,
          is_enterprise_install: false,
        });
      case "chat.postMessage": {
        if (!channel) return answer(200, { ok: false, error: "channel_not_found" });
        if (!hasContent) return answer(200, { ok: false, error: "no_text" });
        if (refusal) return answer(200, { ...refusal });
        const message = store.post(
          channel,
          {
            user: BOT.userId,
            bot_id: BOT.botId,
            app_id: BOT.appId,
            team: BOT.teamId,
            bot_profile: { id: BOT.botId, app_id: BOT.appId, name: "coding-agent", team_id: BOT.teamId },
            text: args.text ?? "",
            ...(args.blocks === undefined ? {} : { blocks: args.blocks }),
            ...(metadata && Object.keys(metadata).length > 0 ? { metadata } : {}),
          },
          typeof args.thread_ts === "string" ? args.thread_ts : undefined,
        );
        return answer(200, { ok: true, channel, ts: message.ts, message });
      }
      case "chat.update": {
        const ts = String(args.ts ?? "");
        const existing = store.get(channel, ts);
        if (!existing) return answer(200, { ok: false, error: "message_not_found" });
        // Slack lets an app edit only the messages it posted.
        if (existing.app_id !== BOT.appId) return answer(200, { ok: false, error: "cant_update_message" });
        if (!hasContent) return answer(200, { ok: false, error: "no_text" });
        if (refusal) return answer(200, { ...refusal });
        const message = store.update(channel, ts, {
          text: args.text ?? "",
          blocks: args.blocks,
          ...(metadata ? { metadata } : {}),
        });
        return answer(200, { ok: true, channel, ts, text: message.text, message });
      }
      case "conversations.replies":
        return answer(200, store.replies(args, scopes));
      case "chat.postEphemeral":
        if (!channel || typeof args.user !== "string")
          return answer(200, { ok: false, error: "user_not_in_channel" });
        if (!hasContent) return answer(200, { ok: false, error: "no_text" });
        if (refusal) return answer(200, { ...refusal });
        return answer(200, { ok: true, message_ts: `${Math.floor(Date.now() / 1000)}.000200` });
      default:
        return answer(200, { ok: false, error: "unknown_method" });
    }
  });

  return {
    apiUrl: `${server.origin}/api/`,
    token,
    calls,
    responseUrl: () => `${server.origin}/response/${++responses}`,
    userMessage: ({ channel, user, text, threadTs }) =>
      store.post(channel, { user, text, team: BOT.teamId }, threadTs).ts,
    message: (channel, ts) => {
      const found = store.get(channel, ts);
      return found ? structuredClone(found) : undefined;
    },
    fail(method, fault, times = 1) {
      const queue = faults.get(method) ?? [];
      for (let i = 0; i < times; i++) queue.push(fault);
      faults.set(method, queue);
    },
    hold(method) {
      let release = () => {};
      holds.set(
        method,
        new Promise<void>((resolve) => {
          release = resolve;
        }),
      );
      return () => {
        holds.delete(method);
        release();
      };
    },
    waitFor(predicate, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(calls)) return;
          cleanup();
          resolve([...calls]);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`Slack stand-in: condition not met in ${timeoutMs} ms; calls: ${summary(calls)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          events.off("call", check);
        };
        events.on("call", check);
        check();
      });
    },
    close: () => server.close(),
  };
}

/** Form or JSON arguments, with `blocks` (sent as a JSON string in forms) parsed. */
function parseArgs(req: IncomingMessage, body: string): Record<string, unknown> {
  const type = req.headers["content-type"] ?? "";
  const args: Record<string, unknown> = type.includes("application/json")
    ? (JSON.parse(body || "{}") as Record<string, unknown>)
    : Object.fromEntries(new URLSearchParams(body));
  // `metadata` is parsed where it is checked (slack-threads.ts): Slack names its own errors.
  for (const key of ["blocks", "attachments"]) {
    const value = args[key];
    if (typeof value === "string") args[key] = JSON.parse(value);
  }
  return args;
}

/** The bot scopes manifest.json asks for: what installing the app grants the token. */
function manifestScopes(): string[] {
  const manifest = JSON.parse(readFileSync(new URL("../../manifest.json", import.meta.url), "utf8")) as {
    oauth_config: { scopes: { bot: string[] } };
  };
  return manifest.oauth_config.scopes.bot;
}

function summary(calls: SlackCall[]): string {
  return calls
    .map((c) => `${c.method}${c.response.ok === false ? `(${String(c.response.error)})` : ""}`)
    .join(", ");
}
