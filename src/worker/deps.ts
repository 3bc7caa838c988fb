/**
 * The one place clients are built from the environment (house rule: no module-level clients).
 * Each entry point (route, Durable Object, Workflow) calls `deps(env)` and passes what it needs on.
 */
import { Octokit } from "@octokit/rest";
import { App, LogLevel, type Receiver, webApi } from "@slack/bolt";
import OpenAI from "openai";
import { ChatCompletionsModel, type Model } from "./agent/model";
import { SandboxService } from "./sandbox";

export interface Limits {
  maxSteps: number;
  maxWallMs: number;
  commandTimeoutMs: number;
  maxOutputChars: number;
}

export interface Deps {
  model: Model;
  octokit: Octokit;
  sandboxes: SandboxService;
  limits: Limits;
}

/** Builds every outbound client from `env`; cheap enough to call per request. */
export function deps(env: Env): Deps {
  const openai = new OpenAI({
    apiKey: env.OPENAI_API_KEY,
    baseURL: env.OPENAI_BASE_URL,
    maxRetries: 3,
    timeout: 120_000,
    // workerd wants fetch called unbound from the global.
    fetch: (input, init) => fetch(input, init),
  });
  return {
    model: new ChatCompletionsModel(openai, env.OPENAI_MODEL, env.OPENAI_STREAM !== "false"),
    octokit: new Octokit({
      auth: env.GITHUB_TOKEN,
      baseUrl: env.GITHUB_API_URL.replace(/\/+$/, ""),
      userAgent: "modal-coding-agent",
      request: { fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init) },
    }),
    sandboxes: new SandboxService(env.SANDBOX_SERVICE_URL, env.SANDBOX_SERVICE_TOKEN),
    limits: {
      maxSteps: positiveInt(env.AGENT_MAX_STEPS, 40),
      maxWallMs: positiveInt(env.AGENT_MAX_WALL_SECONDS, 1200) * 1000,
      commandTimeoutMs: positiveInt(env.AGENT_COMMAND_TIMEOUT_SECONDS, 120) * 1000,
      maxOutputChars: 20_000,
    },
  };
}

function positiveInt(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** Web API options both Slack clients share: SLACK_API_URL, and fetch the way workerd takes it. */
function slackClientOptions(env: Env): webApi.WebClientOptions {
  return {
    slackApiUrl: env.SLACK_API_URL,
    // Called bound, and with `redirect: "error"` (which workerd refuses) as "manual": a 3xx then
    // comes back as a non-200 answer, which the client reports as an HTTP error anyway.
    fetch: (url, init) =>
      fetch(url, { ...init, redirect: init?.redirect === "error" ? "manual" : init?.redirect }),
    logLevel: LogLevel.WARN,
    timeout: 10_000,
  };
}

/**
 * The Bolt App behind `receiver`, built per request (no module-level state). Its bot ids are given
 * so Bolt never calls `auth.test`: they only feed Bolt's ignore-my-own-messages check, and we
 * handle no message events (`ignoreSelf: false`).
 */
export function slackApp(env: Env, receiver: Receiver): App {
  return new App({
    token: env.SLACK_BOT_TOKEN,
    botId: "B_UNUSED",
    botUserId: "U_UNUSED",
    ignoreSelf: false,
    convoStore: false,
    receiver,
    logLevel: LogLevel.WARN,
    clientOptions: { ...slackClientOptions(env), retryConfig: { retries: 1 } },
  });
}

/**
 * The Web API client the Slack thread renderer uses. A 429 comes back to the caller as
 * `WebAPIRateLimitedError` (the renderer waits out Retry-After itself, coalescing meanwhile).
 */
export function slackClient(env: Env): webApi.WebClient {
  return new webApi.WebClient(env.SLACK_BOT_TOKEN, {
    ...slackClientOptions(env),
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 2_000 },
  });
}
