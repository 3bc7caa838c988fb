/**
 * `POST /slack/events`: slash commands and interactivity from Slack. A Bolt App is built for each
 * request behind a fetch-style receiver (no module-level state, and Bolt never calls auth.test);
 * the receiver answers as soon as the listener acks and leaves the rest to `waitUntil`.
 */
import { Hono } from "hono";
import { slackApp } from "../deps";
import { ApiError } from "../errors";
import { registerSlackListeners } from "../slack/commands";
import { firstDelivery } from "../slack/guard";
import { FetchReceiver } from "../slack/receiver";

export const slack = new Hono<{ Bindings: Env }>().post("/events", async (c) => {
  const signingSecret = c.env.SLACK_SIGNING_SECRET ?? "";
  if (!signingSecret || !c.env.SLACK_BOT_TOKEN) {
    throw new ApiError(
      503,
      "Slack not configured",
      "Set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to use the Slack app (README, Slack).",
    );
  }
  const receiver = new FetchReceiver({
    signingSecret,
    firstDelivery: (signature) => firstDelivery(c.env, signature),
  });
  registerSlackListeners(slackApp(c.env, receiver), { env: c.env, origin: new URL(c.req.url).origin });
  return receiver.handle(c.req.raw, c.executionCtx);
});
