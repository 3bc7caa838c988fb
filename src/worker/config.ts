/**
 * The Worker's configuration: one zod schema over its vars and secrets, checks that span fields,
 * parsed once per env object. Entry points read `configOf(env)` and `deps.ts` builds the clients
 * from it. A key a job needs but lacks (unset, or still the .dev.vars.example placeholder) is not
 * a parse failure: the job routes refuse with `notConfigured(env)`, naming it, before any job.
 */
import { z } from "zod";
import { type MissingNeed, missingJobKeys } from "../shared/job-keys.mjs";
import { flag, httpUrl, json, login, oneOf, positiveNumber, secret, wholeNumber } from "./config-vars";
import { ConfigError } from "./errors";

/** Wall-clock limit of one Workflow step (durable.ts): one model call or one sandbox command. */
export const STEP_TIMEOUT_SECONDS = 900;
/** What a sandbox step needs beyond its command's own limit: the kill, output capture, the reply. */
export const COMMAND_OVERHEAD_SECONDS = 60;

const positive = z.number().int().positive();
const ceilingsSchema = z
  .object({ maxSteps: positive, maxTokens: positive, maxMinutes: positive, commandTimeoutSeconds: positive })
  .partial()
  .strict();
const pricesSchema = z.record(
  z.string(),
  z.object({ inputPerMillion: z.number().nonnegative(), outputPerMillion: z.number().nonnegative() }),
);

const fields = z.object({
  OPENAI_API_KEY: secret("OPENAI_API_KEY"),
  OPENAI_BASE_URL: httpUrl("https://api.openai.com/v1"),
  OPENAI_MODEL: z.string().trim().min(1, "must name a model").default("gpt-4.1"),
  OPENAI_STREAM: flag(true),
  MODEL_PRICES: json(pricesSchema),
  GITHUB_TOKEN: secret("GITHUB_TOKEN"),
  GITHUB_APP_ID: secret("GITHUB_APP_ID").pipe(
    z.string().regex(/^\d+$/, "must be the App's numeric id").optional(),
  ),
  GITHUB_APP_PRIVATE_KEY: secret("GITHUB_APP_PRIVATE_KEY"),
  GITHUB_API_URL: httpUrl("https://api.github.com"),
  GITHUB_URL: httpUrl("https://github.com"),
  GITHUB_WRITE_INTERVAL_MS: wholeNumber(750, 0),
  // The GitHub webhook (routes/github-webhook.ts): unset, POST /github/webhook answers 503.
  GITHUB_WEBHOOK_SECRET: secret("GITHUB_WEBHOOK_SECRET"),
  GITHUB_BOT_MENTION: login(),
  SANDBOX_SERVICE_URL: httpUrl("http://127.0.0.1:8788"),
  SANDBOX_SERVICE_TOKEN: secret("SANDBOX_SERVICE_TOKEN"),
  AGENT_MAX_STEPS: wholeNumber(40),
  AGENT_MAX_TOKENS: wholeNumber(2_000_000),
  AGENT_MAX_WALL_SECONDS: wholeNumber(1200),
  AGENT_COMMAND_TIMEOUT_SECONDS: wholeNumber(120),
  AGENT_LIMIT_CEILINGS: json(ceilingsSchema),
  AGENT_PROMPT_BUDGET_CHARS: wholeNumber(120_000),
  // The setup phase (environment/plan.ts): the command for repositories without a devcontainer.json.
  SETUP_COMMAND: z
    .string()
    .optional()
    .transform((value) => (value ?? "").trim()),
  SETUP_TIMEOUT_SECONDS: wholeNumber(600),
  PR_DRAFT_DEFAULT: flag(true),
  ALLOW_WORKFLOW_CHANGES: flag(false),
  PUBLISH_MAX_FILE_BYTES: wholeNumber(10 * 1024 * 1024),
  PUBLISH_MAX_FILES: wholeNumber(300),
  SLACK_CANCEL_POLICY: oneOf(["requester", "channel"]),
  // Read by routes/history.ts through auth.ts (as CODE_API_TOKENS is); listed so every key is here.
  ADMIN_API_TOKENS: secret("ADMIN_API_TOKENS"),
  JOB_HEARTBEAT_SECONDS: positiveNumber(5),
  JOB_STALL_SECONDS: positiveNumber(30),
  JOB_MAX_ATTEMPTS: wholeNumber(3),
  JOBS_PER_MINUTE: wholeNumber(30),
  MAX_CONCURRENT_JOBS: wholeNumber(10),
  // Traces (telemetry/tracing.ts): unset means no export; the headers may hold a collector's key.
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl(""),
  OTEL_EXPORTER_OTLP_HEADERS: secret("OTEL_EXPORTER_OTLP_HEADERS"),
});

type Fields = z.output<typeof fields>;
const BUDGET_KEYS = ["maxSteps", "maxTokens", "maxMinutes", "commandTimeoutSeconds"] as const;
const DEFAULT_VAR = {
  maxSteps: "AGENT_MAX_STEPS",
  maxTokens: "AGENT_MAX_TOKENS",
  maxMinutes: "AGENT_MAX_WALL_SECONDS",
  commandTimeoutSeconds: "AGENT_COMMAND_TIMEOUT_SECONDS",
} as const;

function defaultsOf(f: Fields) {
  return {
    maxSteps: f.AGENT_MAX_STEPS,
    maxTokens: f.AGENT_MAX_TOKENS,
    maxMinutes: f.AGENT_MAX_WALL_SECONDS / 60,
    commandTimeoutSeconds: f.AGENT_COMMAND_TIMEOUT_SECONDS,
  };
}

/** The checks no single var can make. */
function crossCheck(f: Fields, ctx: z.RefinementCtx): void {
  const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
  const defaults = defaultsOf(f);
  for (const key of BUDGET_KEYS) {
    const ceiling = f.AGENT_LIMIT_CEILINGS[key];
    if (ceiling !== undefined && ceiling < defaults[key]) {
      issue(
        "AGENT_LIMIT_CEILINGS",
        `${key} (${ceiling}) is below its default ${DEFAULT_VAR[key]} (${defaults[key]})`,
      );
    }
  }
  const commandCeiling = Math.max(
    f.AGENT_LIMIT_CEILINGS.commandTimeoutSeconds ?? 0,
    f.AGENT_COMMAND_TIMEOUT_SECONDS,
  );
  if (commandCeiling + COMMAND_OVERHEAD_SECONDS > STEP_TIMEOUT_SECONDS) {
    issue(
      "AGENT_LIMIT_CEILINGS",
      `commandTimeoutSeconds (${commandCeiling}) leaves no room in a Workflow step of ${STEP_TIMEOUT_SECONDS} s; at most ${STEP_TIMEOUT_SECONDS - COMMAND_OVERHEAD_SECONDS}`,
    );
  }
  if (f.SETUP_TIMEOUT_SECONDS + COMMAND_OVERHEAD_SECONDS > STEP_TIMEOUT_SECONDS) {
    // One setup command may take the whole phase, and each command is one Workflow step.
    issue(
      "SETUP_TIMEOUT_SECONDS",
      `(${f.SETUP_TIMEOUT_SECONDS}) leaves no room in a Workflow step of ${STEP_TIMEOUT_SECONDS} s; at most ${STEP_TIMEOUT_SECONDS - COMMAND_OVERHEAD_SECONDS}`,
    );
  }
  if (f.JOB_STALL_SECONDS <= f.JOB_HEARTBEAT_SECONDS) {
    // A stall window no longer than a heartbeat would take a live attempt for a dead one.
    issue(
      "JOB_STALL_SECONDS",
      `(${f.JOB_STALL_SECONDS}) must exceed JOB_HEARTBEAT_SECONDS (${f.JOB_HEARTBEAT_SECONDS})`,
    );
  }
  if (f.AGENT_COMMAND_TIMEOUT_SECONDS > f.AGENT_MAX_WALL_SECONDS) {
    issue(
      "AGENT_COMMAND_TIMEOUT_SECONDS",
      `(${f.AGENT_COMMAND_TIMEOUT_SECONDS}) exceeds AGENT_MAX_WALL_SECONDS (${f.AGENT_MAX_WALL_SECONDS})`,
    );
  }
  if ((f.GITHUB_APP_ID === undefined) !== (f.GITHUB_APP_PRIVATE_KEY === undefined)) {
    const [set, unset] = f.GITHUB_APP_ID
      ? ["GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY"]
      : ["GITHUB_APP_PRIVATE_KEY", "GITHUB_APP_ID"];
    issue(unset, `must be set too: ${set} is, and a GitHub App needs both`);
  }
}

/** The Worker's configuration, as the code uses it. */
const configSchema = fields.superRefine(crossCheck).transform((f) => {
  const defaults = defaultsOf(f);
  const ceilings = { ...defaults, ...f.AGENT_LIMIT_CEILINGS };
  const price = f.MODEL_PRICES[f.OPENAI_MODEL];
  return {
    openai: {
      apiKey: f.OPENAI_API_KEY,
      baseUrl: f.OPENAI_BASE_URL,
      model: f.OPENAI_MODEL,
      stream: f.OPENAI_STREAM,
    },
    /** USD per million tokens of the configured model, or null when MODEL_PRICES does not list it. */
    price: price ?? null,
    github: {
      apiUrl: f.GITHUB_API_URL,
      webUrl: f.GITHUB_URL,
      token: f.GITHUB_TOKEN,
      app:
        f.GITHUB_APP_ID && f.GITHUB_APP_PRIVATE_KEY
          ? { appId: f.GITHUB_APP_ID, privateKey: f.GITHUB_APP_PRIVATE_KEY }
          : undefined,
      writeIntervalMs: f.GITHUB_WRITE_INTERVAL_MS,
      webhook: {
        secret: f.GITHUB_WEBHOOK_SECRET,
        /** The name `@<name>` calls the bot by; null: the token's login or the App's slug. */
        mention: f.GITHUB_BOT_MENTION,
      },
    },
    sandbox: { url: f.SANDBOX_SERVICE_URL, token: f.SANDBOX_SERVICE_TOKEN },
    budgets: { defaults, ceilings },
    promptBudgetChars: f.AGENT_PROMPT_BUDGET_CHARS,
    setup: { command: f.SETUP_COMMAND, timeoutMs: f.SETUP_TIMEOUT_SECONDS * 1000 },
    draftByDefault: f.PR_DRAFT_DEFAULT,
    policy: {
      allowWorkflows: f.ALLOW_WORKFLOW_CHANGES,
      maxFileBytes: f.PUBLISH_MAX_FILE_BYTES,
      maxFiles: f.PUBLISH_MAX_FILES,
    },
    slackCancelPolicy: f.SLACK_CANCEL_POLICY,
    liveness: {
      heartbeatMs: f.JOB_HEARTBEAT_SECONDS * 1000,
      stallMs: f.JOB_STALL_SECONDS * 1000,
      maxAttempts: f.JOB_MAX_ATTEMPTS,
    },
    admission: { perMinute: f.JOBS_PER_MINUTE, maxConcurrent: f.MAX_CONCURRENT_JOBS },
  };
});

export type Config = z.output<typeof configSchema>;

/** A parsed configuration, or the problems that keep it from parsing (one line each). */
export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

// Parsed once per env object: workerd hands each isolate one env, and a parse result never
// changes for it. Entries die with their env.
const parsed = new WeakMap<object, ConfigResult>();

/** The configuration in `env`, or what is wrong with it. */
export function readConfig(env: object): ConfigResult {
  const cached = parsed.get(env);
  if (cached) return cached;
  const result = parseConfig(env as Readonly<Record<string, unknown>>);
  parsed.set(env, result);
  return result;
}

/** Parses `vars` (an env object or plain strings) without caching: the unit tests' entry. */
export function parseConfig(vars: Readonly<Record<string, unknown>>): ConfigResult {
  const result = configSchema.safeParse(vars);
  if (result.success) return { ok: true, config: result.data };
  return {
    ok: false,
    problems: result.error.issues.map((i) => `${i.path.join(".") || "config"}: ${i.message}`),
  };
}

/** The parsed configuration; throws ConfigError (a JobError: `not_configured`) when it is invalid. */
export function configOf(env: object): Config {
  const result = readConfig(env);
  if (!result.ok) throw new ConfigError(`The server is misconfigured: ${result.problems.join("; ")}.`);
  return result.config;
}

/** Why this deployment cannot run jobs: missing keys and invalid values, or null when it can. */
export interface NotConfigured {
  /** Keys to set (or fix), for machines. */
  keys: string[];
  /** One sentence for people, naming every key and what it is for. */
  detail: string;
}

/** Null when jobs can run; else what is missing or invalid, for a 503 or an ephemeral reply. */
export function notConfigured(env: object): NotConfigured | null {
  const missing: MissingNeed[] = missingJobKeys(env as Readonly<Record<string, unknown>>);
  const result = readConfig(env);
  const invalid = result.ok ? [] : result.problems;
  if (missing.length === 0 && invalid.length === 0) return null;
  const parts = [
    ...(missing.length ? [`Missing ${missing.map((m) => m.text).join("; ")}.`] : []),
    ...(invalid.length ? [`Invalid ${invalid.join("; ")}.`] : []),
  ];
  return {
    keys: [...missing.flatMap((m) => m.keys), ...invalid.map((p) => p.split(/[.:]/)[0] ?? p)],
    detail: `${parts.join(" ")} Set ${missing.length ? "them" : "it"} in .dev.vars (local) or with \`wrangler secret put\` / wrangler.toml [vars] (deployed), then restart.`,
  };
}
