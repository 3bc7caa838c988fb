// Requests as Slack sends them: form-encoded slash commands, `payload=` block_actions, each signed
// v0 (HMAC-SHA256 of `v0:<timestamp>:<raw body>` with the app's signing secret).
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
