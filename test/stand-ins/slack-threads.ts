// The Slack stand-in's channels: the messages it holds (the bot's, and those a test posts as a
// user), threads as Slack keeps them (the parent's reply_count/reply_users/latest_reply, each
// reply's thread_ts/parent_user_id), message metadata (`{ event_type, event_payload }`, checked as
// Slack checks it and returned only to include_all_metadata), and conversations.replies in
// Slack's wire format with its scope and argument errors.

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A message as the stand-in holds it; `metadata` is left out of answers that did not ask for it. */
export type StoredMessage = Json & { ts: string; type: "message" };

/** Slack's refusal of a call: the JSON body (always status 200). */
export type Refusal = Json & { ok: false; error: string };

/** `metadata` as chat.postMessage/chat.update take it: a JSON string in forms, an object in JSON. */
export function readMetadata(args: Json): { metadata?: Json; refusal?: Refusal } {
  if (args.metadata === undefined) return {};
  let value = args.metadata;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      // Slack's word for metadata that is not JSON at all.
      return { refusal: { ok: false, error: "invalid_metadata_format" } };
    }
  }
  if (!isObject(value)) return { refusal: { ok: false, error: "invalid_metadata_format" } };
  // chat.update takes `{}` to remove a message's metadata.
  if (Object.keys(value).length === 0) return { metadata: {} };
  const { event_type, event_payload } = value;
  if (typeof event_type !== "string" || event_type === "" || !isObject(event_payload)) {
    return { refusal: { ok: false, error: "invalid_metadata_schema" } };
  }
  return { metadata: { event_type, event_payload } };
}

export class ChannelStore {
  private readonly channels = new Map<string, Map<string, StoredMessage>>();
  private clock = 1_700_000_000_000;

  /** A new ts, later than every other (Slack's are unique per channel and increasing). */
  private nextTs(): string {
    this.clock += 1;
    return `${Math.floor(this.clock / 1000)}.${String(this.clock % 1000).padStart(3, "0")}100`;
  }

  get(channel: string, ts: string): StoredMessage | undefined {
    return this.channels.get(channel)?.get(ts);
  }

  /** Posts `message` (with `thread_ts`: as a reply, and the parent learns of it); returns it. */
  post(channel: string, message: Json, threadTs?: string): StoredMessage {
    const ts = this.nextTs();
    const messages = this.channels.get(channel) ?? new Map<string, StoredMessage>();
    this.channels.set(channel, messages);
    const stored: StoredMessage = { ...message, type: "message", ts };
    const parent = threadTs === undefined ? undefined : messages.get(threadTs);
    if (threadTs !== undefined) {
      stored.thread_ts = threadTs;
      if (parent?.user !== undefined) stored.parent_user_id = parent.user;
    }
    if (parent) {
      const users = new Set((parent.reply_users as string[] | undefined) ?? []);
      if (typeof stored.user === "string") users.add(stored.user);
      Object.assign(parent, {
        thread_ts: parent.ts,
        reply_count: Number(parent.reply_count ?? 0) + 1,
        reply_users: [...users],
        reply_users_count: users.size,
        latest_reply: ts,
      });
    }
    messages.set(ts, stored);
    return stored;
  }

  /** Edits the message at `ts`: new text and blocks; metadata replaced when given (`{}` drops it). */
  update(
    channel: string,
    ts: string,
    patch: { text: unknown; blocks: unknown; metadata?: Json },
  ): StoredMessage {
    const existing = this.get(channel, ts);
    if (!existing) throw new Error(`no message ${channel}/${ts}`);
    Object.assign(existing, {
      text: patch.text,
      blocks: patch.blocks,
      edited: { user: existing.user, ts: this.nextTs() },
    });
    if (patch.metadata && Object.keys(patch.metadata).length === 0) delete existing.metadata;
    else if (patch.metadata) existing.metadata = patch.metadata;
    return existing;
  }

  /** What conversations.replies answers a token with `scopes` (always with status 200). */
  replies(args: Json, scopes: readonly string[]): Json {
    const channel = typeof args.channel === "string" ? args.channel : "";
    const ts = typeof args.ts === "string" ? args.ts : "";
    const missing = [!channel && "channel", !ts && "ts"].filter(Boolean);
    if (missing.length > 0) {
      return {
        ok: false,
        error: "invalid_arguments",
        response_metadata: { messages: missing.map((field) => `[ERROR] missing required field: ${field}`) },
      };
    }
    const needed = channel.startsWith("G")
      ? "groups:history"
      : channel.startsWith("D")
        ? "im:history"
        : "channels:history";
    if (!scopes.includes(needed))
      return { ok: false, error: "missing_scope", needed, provided: scopes.join(",") };
    const messages = this.channels.get(channel);
    if (!messages) return { ok: false, error: "channel_not_found" };
    const asked = messages.get(ts);
    if (!asked) return { ok: false, error: "thread_not_found" };
    // Any message of a thread names the whole thread, which starts with its parent.
    const parentTs = typeof asked.thread_ts === "string" ? asked.thread_ts : asked.ts;
    const thread = [...messages.values()]
      .filter((m) => m.ts === parentTs || m.thread_ts === parentTs)
      .sort((a, b) => Number(a.ts) - Number(b.ts));
    const limit = Math.min(1000, Math.max(1, Number(args.limit ?? 1000) || 1000));
    const start = typeof args.cursor === "string" && args.cursor ? cursorOffset(args.cursor) : 0;
    if (start === null) return { ok: false, error: "invalid_cursor" };
    const page = thread.slice(start, start + limit);
    const more = start + limit < thread.length;
    const withMetadata =
      args.include_all_metadata === true ||
      args.include_all_metadata === "true" ||
      args.include_all_metadata === "1";
    return {
      ok: true,
      messages: page.map((m) => {
        const { metadata, ...rest } = m;
        return withMetadata && metadata !== undefined ? { ...rest, metadata } : rest;
      }),
      has_more: more,
      response_metadata: {
        next_cursor: more ? Buffer.from(`next_ts:${start + limit}`).toString("base64") : "",
      },
    };
  }
}

function cursorOffset(cursor: string): number | null {
  const match = /^next_ts:(\d+)$/.exec(Buffer.from(cursor, "base64").toString("utf8"));
  return match?.[1] ? Number(match[1]) : null;
}
