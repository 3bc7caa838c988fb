// The whole system on loopback, as the end-to-end tests and benchmarks run it: the real Worker
// on workerd (wrangler's test harness), the real sandbox service with its bubblewrap backend,
// and stand-ins for OpenAI and GitHub that the real SDKs talk to. Nothing leaves 127.0.0.1.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestHarness } from "wrangler";
import { type RunningService, startService } from "../../src/sandbox-service/app";
import { createLocalBackend } from "../../src/sandbox-service/backends/local";
import { jsonLogger } from "../../src/sandbox-service/log";
import { tracingFromEnv } from "../../src/sandbox-service/tracing";
import { type GitHubStandIn, type GitHubStandInOptions, startGitHubStandIn } from "../stand-ins/github";
import { type OpenAIStandIn, startOpenAIStandIn } from "../stand-ins/openai";
import { type ServiceHook, type ServiceTap, startServiceTap } from "./service-tap";

export interface SystemOptions {
  /** Stream model replies (the default) or not. */
  stream?: boolean;
  /** Extra Worker vars (limits, say). */
  vars?: Record<string, string>;
  /** Replace generated secrets (an empty CODE_API_TOKENS, say), or add optional ones. */
  secretsOverride?: Record<string, string>;
  /** Secrets only the Worker gets, over those the stand-ins accept (a wrong key, say). */
  workerSecrets?: Record<string, string>;
  /** GitHub stand-in options beyond its token (a GitHub App, say). */
  github?: Omit<GitHubStandInOptions, "token">;
  /** Put a tap (service-tap.ts) between the Worker and the sandbox service, calling this hook. */
  serviceHook?: ServiceHook;
  /** Export traces from the Worker and the service (OTEL_EXPORTER_OTLP_ENDPOINT and _HEADERS). */
  otel?: { endpoint: string; headers?: string };
  /** A wrangler config other than ./wrangler.toml (one lacking a binding, say), in the repo root. */
  configPath?: string;
}

type DurableBinding = "JOB_ROOM" | "TENANT_LIMITER";

export interface System {
  /** The Worker's base URL. */
  url: string;
  /** A valid `POST /code` bearer token. */
  apiToken: string;
  /** Every secret the Worker holds, to prove none of them reaches a sandbox. */
  secrets: Record<string, string>;
  openai: OpenAIStandIn;
  github: GitHubStandIn;
  service: RunningService;
  /** The tap in front of the service, when `serviceHook` was given. */
  tap?: ServiceTap;
  /** Logs workerd printed (one `level: message` line per console call), for debugging and log tests. */
  logs(): string;
  /** workerd's log entries as it reported them: one per console call (or line workerd printed). */
  workerLogs(): { level: string; message: string }[];
  /** The sandbox service's log lines (its JSON logger writes to memory here, not to stdout). */
  serviceLogs(): string[];
  /** Ids of the Durable Objects of `binding` that have storage on disk (their SQLite files). */
  durableObjectIds(binding: DurableBinding): Promise<string[]>;
  /**
   * The tables in the SQLite storage of `binding`'s object `name`, workerd's own (`_cf_KV`, alarms)
   * included; only miniflare's bookkeeping (`__miniflare_do_name`, written by the local runtime
   * for any object it starts) is left out.
   */
  durableObjectTables(binding: DurableBinding, name: string): Promise<string[]>;
  /** Runs one SQL statement on the job history database (D1 `DB`), to break or mend it. */
  historySql(statement: string): Promise<void>;
  close(): Promise<void>;
}

const otelEnv = (otel: { endpoint: string; headers?: string }) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: otel.endpoint,
  ...(otel.headers ? { OTEL_EXPORTER_OTLP_HEADERS: otel.headers } : {}),
});

const secret = (prefix: string) => `${prefix}-${randomBytes(12).toString("hex")}`;

/** Starts stand-ins, the sandbox service and the Worker, all wired to each other on loopback. */
export async function startSystem(options: SystemOptions = {}): Promise<System> {
  const root = await mkdtemp(join(tmpdir(), "e2e-sandboxes-"));
  const secrets = {
    OPENAI_API_KEY: secret("sk-test"),
    GITHUB_TOKEN: secret("ghp_test"),
    SANDBOX_SERVICE_TOKEN: secret("sbx"),
    // A named token (`name:token`, the name becomes the PR's requester) and a plain one.
    CODE_API_TOKENS: `e2e-suite:${secret("api")},${secret("api2")}`,
    ...options.secretsOverride,
  };
  const openai = await startOpenAIStandIn({ apiKey: secrets.OPENAI_API_KEY });
  const github = await startGitHubStandIn({ ...options.github, token: secrets.GITHUB_TOKEN });
  const backend = await createLocalBackend({ root });
  const serviceLines: string[] = [];
  const service = await startService({
    backend,
    token: secrets.SANDBOX_SERVICE_TOKEN,
    port: 0,
    host: "127.0.0.1",
    log: jsonLogger((line) => serviceLines.push(line)),
    ...(options.otel ? { tracing: tracingFromEnv(otelEnv(options.otel)) ?? undefined } : {}),
  });
  const tap = options.serviceHook ? await startServiceTap(service.url, options.serviceHook) : undefined;
  const worker = createTestHarness({
    workers: [
      {
        configPath: options.configPath ?? "./wrangler.toml",
        vars: {
          OPENAI_BASE_URL: openai.url,
          OPENAI_MODEL: "scripted-model",
          OPENAI_STREAM: options.stream === false ? "false" : "true",
          GITHUB_API_URL: github.apiUrl,
          GITHUB_URL: github.webUrl,
          SLACK_API_URL: "http://127.0.0.1:9/api/",
          SANDBOX_SERVICE_URL: tap?.url ?? service.url,
          AGENT_COMMAND_TIMEOUT_SECONDS: "20",
          // The stand-in has no secondary rate limit to respect; keep publishing fast.
          GITHUB_WRITE_INTERVAL_MS: "0",
          ...(options.otel ? { OTEL_EXPORTER_OTLP_ENDPOINT: options.otel.endpoint } : {}),
          ...options.vars,
        },
        secrets: {
          ...secrets,
          ...(options.otel?.headers ? { OTEL_EXPORTER_OTLP_HEADERS: options.otel.headers } : {}),
          ...options.workerSecrets,
        },
      },
    ],
  });
  const { url } = await worker.listen();
  // The job history's schema, from migrations/ as `wrangler d1 migrations apply` runs it; a
  // deployment without the D1 binding (options.configPath) has none to apply.
  if (!options.configPath) await worker.getWorker().applyD1Migrations("DB");
  return {
    url: url.href.replace(/\/$/, ""),
    apiToken: (secrets.CODE_API_TOKENS.split(",")[0] ?? "").split(":").at(-1) ?? "",
    secrets,
    openai,
    github,
    service,
    ...(tap ? { tap } : {}),
    logs: () =>
      worker
        .getLogs()
        .map((l) => `${l.level}: ${l.message}`)
        .join("\n"),
    workerLogs: () => worker.getLogs().map(({ level, message }) => ({ level, message })),
    serviceLogs: () => [...serviceLines],
    durableObjectIds: (binding) => worker.getWorker().listDurableObjectIds(binding),
    async durableObjectTables(binding, name) {
      const storage = await worker.getWorker().getDurableObjectStorage(binding, { name });
      const rows = await storage.exec<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_\\_miniflare\\_%' ESCAPE '\\' ORDER BY name",
      );
      return rows.map((r) => r.name);
    },
    async historySql(statement) {
      const env = await worker
        .getWorker<{ DB: { prepare(sql: string): { run(): Promise<unknown> } } }>()
        .getEnv();
      await env.DB.prepare(statement).run();
    },
    async close() {
      await worker.close();
      await tap?.close();
      await service.close();
      await openai.close();
      await github.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** `POST /code` as curl would send it. */
export function postCode(
  system: System,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${system.url}/code`, {
    method: "POST",
    headers: { authorization: `Bearer ${system.apiToken}`, "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}
