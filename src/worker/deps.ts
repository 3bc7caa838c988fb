/**
 * The one place clients are built from the environment (house rule: no module-level clients).
 * Each entry point (route, Durable Object, Workflow) calls `deps(env)` and passes what it needs on.
 */
import { App, LogLevel, webApi } from "@slack/bolt";
import OpenAI from "openai";
import { ChatCompletionsModel, type Model } from "./agent/model";
import { type Config, configOf } from "./config";
import type { GitHubConfig } from "./github/client";
import type { PublishPolicy } from "./github/policy";
import type { BudgetConfig } from "./jobs/budget";
import { libraryLogger } from "./library-log";
import { SandboxService } from "./sandbox";
import { sandboxServiceFetch } from "./sandbox-container";
import { boltLogger } from "./slack/bolt-logger";
import { FetchReceiver } from "./slack/receiver";
import { tracedFetch } from "./telemetry/traced-fetch";

export interface Deps {
  config: Config;
  model: Model;
  /** How to build a job's GitHub client (`gitHubFor(github, repo)`). */
  github: GitHubConfig;
  sandboxes: SandboxService;
  budgets: BudgetConfig;
  /** Tool output beyond this is cut to head + tail before the model sees it. */
  maxOutputChars: number;
  /** Transcript characters before old tool outputs are elided. */
  promptBudgetChars: number;
  /** The setup phase: SETUP_COMMAND (for repositories without a devcontainer.json) and its time limit. */
  setup: Config["setup"];
  /** Open PRs as drafts unless the request says otherwise. */
  draftByDefault: boolean;
  /** What may be published (github/policy.ts). */
  policy: PublishPolicy;
}

/**
 * Builds every outbound client from the validated configuration (config.ts; throws ConfigError
 * when it is invalid); cheap enough to call per request. A missing model or GitHub key does not
 * stop it, so the sandbox client still works (the watchdog's cleanup): jobs are refused earlier.
 */
export function deps(env: Env): Deps {
  const config = configOf(env);
  const openai = new OpenAI({
    // Never undefined, which the SDK refuses at construction; an empty key fails its requests (401).
    apiKey: config.openai.apiKey ?? "",
    baseURL: config.openai.baseUrl,
    maxRetries: 3,
    timeout: 120_000,
    logger: libraryLogger("openai"),
    // workerd wants fetch called unbound from the global.
    fetch: (input, init) => fetch(input, init),
  });
  const github: GitHubConfig = {
    apiUrl: config.github.apiUrl,
    ...(config.github.token ? { token: config.github.token } : {}),
    ...(config.github.app ? { app: config.github.app } : {}),
    writeIntervalMs: config.github.writeIntervalMs,
    maxRateLimitWaitSeconds: 60,
  };
  return {
    config,
    model: new ChatCompletionsModel(openai, config.openai.model, config.openai.stream),
    github,
    sandboxes: sandboxService(env),
    budgets: config.budgets,
    maxOutputChars: 20_000,
    promptBudgetChars: config.promptBudgetChars,
    setup: config.setup,
    draftByDefault: config.draftByDefault,
    policy: config.policy,
  };
}

/**
 * The sandbox service's client alone: what the JobRoom needs to reap a sandbox. With `timeoutMs`
 * every call gives up after that long (the room must not wait on a hung service; it retries).
 * Read from `env` itself, not the validated config: freeing a sandbox must work even when a
 * change of configuration since the job started makes the rest of it invalid.
 */
export function sandboxService(env: Env, timeoutMs?: number): SandboxService {
  const fetcher = sandboxServiceFetch(env);
  const bounded: typeof fetch =
    timeoutMs === undefined
      ? fetcher
      : (input, init) => fetcher(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  return new SandboxService(env.SANDBOX_SERVICE_URL, env.SANDBOX_SERVICE_TOKEN ?? "", bounded);
}

/** Web API options both Slack clients share: SLACK_API_URL, and fetch the way workerd takes it. */
function slackClientOptions(env: Env): webApi.WebClientOptions {
  return {
    slackApiUrl: env.SLACK_API_URL,
    // Called bound, and with `redirect: "error"` (which workerd refuses) as "manual": a 3xx then
    // comes back as a non-200 answer, which the client reports as an HTTP error anyway.
    fetch: tracedFetch("slack", (url, init) =>
      fetch(url, { ...init, redirect: init?.redirect === "error" ? "manual" : init?.redirect }),
    ),
    logger: boltLogger(LogLevel.WARN, "slack-web-api"),
    timeout: 10_000,
  };
}

/**
 * The Bolt Apps built so far, one per environment object (workerd hands every request of an
 * isolate the same one), so a `/pr` ack does not pay for building an App and its WebClient. An
 * entry is never changed once set; a new configuration is a new env object, hence a new entry.
 */
const slackApps = new WeakMap<Env, FetchReceiver>();

/**
 * The receiver of this isolate's Bolt App for `env`, built on first use with `listen` registering
 * the listeners. Its bot ids are given so Bolt never calls `auth.test`: they only feed Bolt's
 * ignore-my-own-messages check, and we handle no message events (`ignoreSelf: false`).
 */
export function slackApp(env: Env, listen: (app: App) => void): FetchReceiver {
  const known = slackApps.get(env);
  if (known) return known;
  const receiver = new FetchReceiver({ signingSecret: env.SLACK_SIGNING_SECRET ?? "" });
  const app = new App({
    token: env.SLACK_BOT_TOKEN,
    botId: "B_UNUSED",
    botUserId: "U_UNUSED",
    ignoreSelf: false,
    convoStore: false,
    receiver,
    // Bolt shares it with the App's WebClient (clientOptions' logger is replaced by it).
    logger: boltLogger(LogLevel.WARN, "bolt-app"),
    clientOptions: { ...slackClientOptions(env), retryConfig: { retries: 1 } },
  });
  listen(app);
  slackApps.set(env, receiver);
  return receiver;
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
