/**
 * Entry point of the sandbox service (`tsx src/sandbox-service/server.ts`). Reads its settings
 * from the environment, refuses to start without a token, a working bubblewrap (local) or Modal
 * credentials (modal), adopts the sandboxes an earlier process left, logs JSON lines. SIGTERM
 * (a deploy restarting the service while jobs run) and SIGINT stop it without terminating any
 * sandbox: the next process on the same SANDBOX_ROOT / SANDBOX_STATE_DIR serves them again, and
 * the Worker's janitor or the maximum lifetime removes those of ended jobs. The environment
 * cache's bounds are `ENV_CACHE_TTL_HOURS`, `ENV_CACHE_MAX_ENTRIES` and `ENV_CACHE_MAX_BYTES`.
 */
import { mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startService } from "./app";
import { createLocalBackend } from "./backends/local";
import { ModalBackend } from "./backends/modal";
import { type ModalBackendOptions, modalOptionsFromEnv } from "./backends/modal-config";
import type { Backend } from "./backends/types";
import { locateBwrap } from "./bwrap-path";
import { type EnvCacheLimits, envCacheLimitsFromEnv } from "./env-cache";
import { ServiceError } from "./errors";
import { execIsolated } from "./isolate";
import { DEFAULT_MAX_LIFETIME_SECONDS, DEFAULT_MAX_SANDBOXES } from "./limits";
import { jsonLogger } from "./log";
import { tracingFromEnv } from "./tracing";

const log = jsonLogger();

function fail(msg: string): never {
  log.error(msg);
  process.exit(1);
}

/** Finds bwrap (BWRAP_PATH, then PATH) or stops the service saying how to install it. */
function bubblewrapPath(env: NodeJS.ProcessEnv): string {
  try {
    return locateBwrap(env);
  } catch (error) {
    if (error instanceof ServiceError && error.detail) fail(error.detail);
    throw error;
  }
}

/** Runs `true` in a jail once, so a missing or unusable bwrap stops the service at startup. */
async function checkBubblewrap(root: string, bwrapPath: string): Promise<void> {
  const workspace = join(root, ".startup-check");
  await mkdir(workspace, { recursive: true });
  try {
    const spec = { argv: ["true"], timeoutMs: 10_000, maxOutputBytes: 4096 };
    const result = await execIsolated(workspace, spec, { bwrapPath });
    if (result.exitCode !== 0)
      fail(
        `bubblewrap does not work here (${result.output.trim()}); SANDBOX_BACKEND=modal needs no bubblewrap`,
      );
  } catch (error) {
    fail(`bubblewrap cannot be started: ${String(error)}`);
  } finally {
    await rm(workspace, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const env = process.env;
  const backendName = env.SANDBOX_BACKEND || "local";
  if (backendName !== "local" && backendName !== "modal")
    fail(`SANDBOX_BACKEND must be "local" or "modal", not ${JSON.stringify(backendName)}`);
  // A fixed default, not a fresh temp directory: a restarted service must find what it held.
  const root = env.SANDBOX_ROOT || join(tmpdir(), "modal-coding-agent-sandboxes");
  let modalOptions: ModalBackendOptions | undefined;
  let envCache: EnvCacheLimits;
  try {
    envCache = envCacheLimitsFromEnv(env);
    if (backendName === "modal") modalOptions = modalOptionsFromEnv(env, root);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  const token = env.SANDBOX_SERVICE_TOKEN ?? "";
  if (token.length === 0) fail("SANDBOX_SERVICE_TOKEN is required: the service refuses to start without it");
  const port = Number(env.PORT || "8788");
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    fail(`PORT must be a port number, not ${env.PORT}`);
  const host = env.HOST || "127.0.0.1";
  const maxSandboxes = Number(env.MAX_SANDBOXES || DEFAULT_MAX_SANDBOXES);
  if (!Number.isInteger(maxSandboxes) || maxSandboxes < 1)
    fail(`MAX_SANDBOXES must be a positive integer, not ${env.MAX_SANDBOXES}`);
  // Before anything is made on disk, so a missing bwrap leaves nothing behind.
  const bwrapPath = modalOptions ? "" : bubblewrapPath(env);
  const maxLifetimeSeconds = Number(env.SANDBOX_MAX_LIFETIME_SECONDS || DEFAULT_MAX_LIFETIME_SECONDS);
  if (!Number.isInteger(maxLifetimeSeconds) || maxLifetimeSeconds < 1)
    fail(`SANDBOX_MAX_LIFETIME_SECONDS must be a positive integer, not ${env.SANDBOX_MAX_LIFETIME_SECONDS}`);

  let backend: Backend;
  if (modalOptions) backend = new ModalBackend(modalOptions);
  else {
    backend = await createLocalBackend({ root, bwrapPath, envCache, log });
    await checkBubblewrap(root, bwrapPath);
  }
  const tracing = tracingFromEnv(env);
  const service = await startService({
    backend,
    token,
    port,
    host,
    log,
    maxSandboxes,
    maxLifetimeSeconds,
    ...(tracing ? { tracing } : {}),
  });
  log.info("sandbox service listening", { url: service.url, backend: backend.name, root });

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal });
    setTimeout(() => fail("shutdown took longer than 15 s"), 15_000).unref();
    await service.close({ keepSandboxes: true });
    log.info("stopped; sandboxes kept for the next process");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((error: unknown) =>
  fail(`startup failed: ${error instanceof Error ? error.message : String(error)}`),
);
