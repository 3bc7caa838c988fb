// Requests as Slack sends them: form-encoded slash commands, `payload=` block_actions, Events API
// JSON (`event_callback` with an `app_mention`), each signed v0 (HMAC-SHA256 of
// `v0:<timestamp>:<raw body>` with the app's signing secret).
import { createHmac, randomBytes } from "node:crypto";

/** The two signing headers for `body` at `timestamp` (seconds; now by default). */
export function signHeaders(
  secret: string,
  body: string,
  timestamp = Math.floor(Date.now() / 1000),
): Record<string, string> {
  const signature = createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex");
  return { "x-slack-request-timestamp": String(timestamp), "x-slack-signature": `v0=${signature}` };
}

export interface SlashCommand {
  text: string;
  user?: string;
  channel?: string;
  triggerId?: string;
  responseUrl: string;
}

/** The form body of a `/pr` invocation. */
export function slashCommandBody(command: SlashCommand): string {
  return new URLSearchParams({
    token: "legacy-verification-token",
    team_id: "T0STANDIN",
    team_domain: "stand-in",
    channel_id: command.channel ?? "C0GENERAL",
    channel_name: "general",
    user_id: command.user ?? "U0ALICE",
    user_name: "alice",
    command: "/pr",
    text: command.text,
    api_app_id: "A0APP",
    is_enterprise_install: "false",
    response_url: command.responseUrl,
    trigger_id: command.triggerId ?? newTriggerId(),
  }).toString();
}

/** The form body of a click on the parent's Cancel button. */
export function cancelClickBody(click: {
  jobId: string;
  user: string;
  channel?: string;
  messageTs?: string;
  responseUrl: string;
}): string {
  const payload = {
    type: "block_actions",
    team: { id: "T0STANDIN", domain: "stand-in" },
    user: {
      id: click.user,
      username: click.user.toLowerCase(),
      name: click.user.toLowerCase(),
      team_id: "T0STANDIN",
    },
    api_app_id: "A0APP",
    token: "legacy-verification-token",
    container: {
      type: "message",
      message_ts: click.messageTs ?? "1.000",
      channel_id: click.channel ?? "C0GENERAL",
    },
    trigger_id: newTriggerId(),
    channel: { id: click.channel ?? "C0GENERAL", name: "general" },
    message: { type: "message", ts: click.messageTs ?? "1.000", text: "" },
    response_url: click.responseUrl,
    actions: [
      {
        type: "button",
        action_id: "cancel_job",
        block_id: "job_actions",
        value: click.jobId,
        text: { type: "plain_text", text: "Cancel" },
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** A trigger id shaped like Slack's. */
export function newTriggerId(): string {
  return `${Date.now()}.${randomBytes(4).readUInt32BE()}.${randomBytes(16).toString("hex")}`;
}

/** POSTs a signed body to `/slack/events`; `headers` may override or add (retries, bad signatures). */
export function postSlack(
  baseUrl: string,
  secret: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${baseUrl}/slack/events`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      ...signHeaders(secret, body),
      ...headers,
    },
    body,
  });
}

export interface AppMention {
  /** The message text as Slack sends it, the bot's mention included (`<@U0BOT> acme/api …`). */
  text: string;
  /** The mention's message ts (the stand-in's `userMessage` gives one). */
  ts: string;
  /** Set when the mention was posted in a thread. */
  threadTs?: string;
  user?: string;
  channel?: string;
  /** Kept by Slack across retries of one delivery. */
  eventId?: string;
}

/** The JSON body of an Events API `event_callback` carrying an `app_mention`. */
export function appMentionBody(mention: AppMention): string {
  const team = "T0STANDIN";
  return JSON.stringify({
    token: "legacy-verification-token",
    team_id: team,
    context_team_id: team,
    context_enterprise_id: null,
    api_app_id: "A0APP",
    event: {
      type: "app_mention",
      user: mention.user ?? "U0ALICE",
      text: mention.text,
      ts: mention.ts,
      ...(mention.threadTs ? { thread_ts: mention.threadTs } : {}),
      team,
      channel: mention.channel ?? "C0GENERAL",
      event_ts: mention.ts,
    },
    type: "event_callback",
    event_id: mention.eventId ?? newEventId(),
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [
      { enterprise_id: null, team_id: team, user_id: "U0BOT", is_bot: true, is_enterprise_install: false },
    ],
    is_ext_shared_channel: false,
    event_context: `4-${Buffer.from(JSON.stringify({ et: "app_mention", tid: team, aid: "A0APP" })).toString("base64url")}`,
  });
}

/** An event id shaped like Slack's (`Ev` and ten more). */
export function newEventId(): string {
  return `Ev${randomBytes(8).toString("hex").toUpperCase().slice(0, 10)}`;
}

/** POSTs a signed Events API body (JSON) to `/slack/events`; `headers` may override or add. */
export function postSlackEvent(
  baseUrl: string,
  secret: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return postSlack(baseUrl, secret, body, { "content-type": "application/json", ...headers });
}
