/**
 * `POST /slack/events`: slash commands, interactivity and the Events API (`app_mention`) from
 * Slack, all at one request URL. The isolate's Bolt App for this configuration (deps.ts; Bolt
 * never calls auth.test) sits behind a fetch-style receiver that answers as soon as the listener
 * acks (an event: at once) and leaves the rest to `waitUntil`.
 */
import { Hono } from "hono";
import { slackApp } from "../deps";
import { ApiError } from "../errors";
import { registerSlackListeners } from "../slack/commands";

export const slack = new Hono<{ Bindings: Env }>().post("/events", async (c) => {
  if (!c.env.SLACK_SIGNING_SECRET || !c.env.SLACK_BOT_TOKEN) {
    throw new ApiError(
      503,
      "Slack not configured",
      "Set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to use the Slack app (README, Slack).",
    );
  }
  const receiver = slackApp(c.env, (app) => registerSlackListeners(app, c.env));
  return receiver.handle(c.req.raw, c.executionCtx, new URL(c.req.url).origin);
});
