/**
 * What `GET /readyz` checks, each on its own deadline and all at once: that the sandbox service
 * answers and proves its backend (`GET /v1/ready`), that D1 answers, and that the configuration a
 * job needs is complete. A failing check names the part and why, in words that hold no secret: a
 * URL is reduced to its origin and upstream text goes through `redact`.
 */
import { isConfigured } from "../shared/job-keys.mjs";
import { notConfigured } from "./config";
import { sandboxService } from "./deps";
import { SandboxError } from "./errors";
import { originOf, redact } from "./redact";

/** No check may hold a probe longer than this; a load balancer's own timeout is usually 5 s. */
export const CHECK_TIMEOUT_MS = 3_000;

export type Check = { ok: true; ms: number } | { ok: false; ms: number; error: string };
export type SandboxCheck = (Check & { ok: false }) | { ok: true; ms: number; backend: "local" | "modal" };
export type ConfigCheck = { ok: true } | { ok: false; missing: string[]; error: string };

export interface Readiness {
  ready: boolean;
  checks: { sandbox: SandboxCheck; database: Check; config: ConfigCheck };
}

class CheckTimeout extends Error {}

/** `work`, or a CheckTimeout once `CHECK_TIMEOUT_MS` has passed. */
async function bounded<T>(work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckTimeout()), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

const seconds = `${CHECK_TIMEOUT_MS / 1000} s`;

async function checkSandbox(env: Env): Promise<SandboxCheck> {
  const started = Date.now();
  const at = originOf(env.SANDBOX_SERVICE_URL);
  const failed = (error: string): SandboxCheck => ({ ok: false, ms: Date.now() - started, error });
  try {
    const ready = await bounded(sandboxService(env, CHECK_TIMEOUT_MS).ready());
    return { ok: true, ms: Date.now() - started, backend: ready.backend };
  } catch (error) {
    if (
      error instanceof CheckTimeout ||
      // AbortSignal.timeout's TimeoutError, as the client reports a fetch that never got an answer.
      (error instanceof SandboxError && error.status === 0 && /timeout|abort/i.test(error.message))
    )
      return failed(`sandbox service at ${at} did not answer within ${seconds}`);
    if (!(error instanceof SandboxError)) return failed(`sandbox service at ${at}: ${redact(String(error))}`);
    if (error.status === 0) return failed(`sandbox service unreachable at ${at}`);
    if (error.status === 401) return failed(`sandbox service at ${at} refused SANDBOX_SERVICE_TOKEN`);
    if (error.status === 404)
      return failed(`sandbox service at ${at} has no GET /v1/ready: it is older than this Worker`);
    // The service's own words: "backend not ready — bubblewrap failed: …", or Modal's refusal.
    return failed(
      redact(error.message.replace("sandbox service GET /v1/ready: ", `sandbox service at ${at}: `)),
    );
  }
}

async function checkDatabase(env: Env): Promise<Check> {
  const started = Date.now();
  // Optional at runtime: a deployment whose wrangler.toml lacks the block has no binding at all.
  const db = (env as Partial<Pick<Env, "DB">>).DB;
  if (!db) return { ok: false, ms: 0, error: "D1 binding DB missing (wrangler.toml [[d1_databases]])" };
  try {
    await bounded(db.prepare("SELECT 1").first());
    return { ok: true, ms: Date.now() - started };
  } catch (error) {
    const why =
      error instanceof CheckTimeout
        ? `did not answer within ${seconds}`
        : redact(error instanceof Error ? error.message : String(error));
    return { ok: false, ms: Date.now() - started, error: `D1 database DB: ${why}` };
  }
}

function checkConfig(env: Env): ConfigCheck {
  const problem = notConfigured(env);
  const missing = problem ? [...problem.keys] : [];
  const sentences = problem ? [problem.detail] : [];
  // Jobs need it too, though the job routes leave it to the sandbox service to refuse.
  if (!isConfigured(env as unknown as Record<string, unknown>, "SANDBOX_SERVICE_TOKEN")) {
    missing.push("SANDBOX_SERVICE_TOKEN");
    sentences.unshift("SANDBOX_SERVICE_TOKEN not set, for the sandbox service.");
  }
  return missing.length === 0 ? { ok: true } : { ok: false, missing, error: sentences.join(" ") };
}

/** Every check, run concurrently; `ready` only when all pass. */
export async function checkReadiness(env: Env): Promise<Readiness> {
  const [sandbox, database] = await Promise.all([checkSandbox(env), checkDatabase(env)]);
  const config = checkConfig(env);
  return { ready: sandbox.ok && database.ok && config.ok, checks: { sandbox, database, config } };
}

/** One line naming each failing part, for the problem's `detail`. */
export function failures(readiness: Readiness): string {
  return Object.entries(readiness.checks)
    .flatMap(([name, check]) => (check.ok ? [] : [`${name}: ${check.error}`]))
    .join("; ");
}
