/**
 * The sandbox service's HTTP surface (src/protocol/sandbox.ts) over any `Backend`: bearer auth,
 * body validation, idempotent exec (recorded on disk, exec-records.ts), problem+json errors from
 * one `onError`. `startService` adopts what an earlier process left, reaps sandboxes past their
 * maximum lifetime and runs the app on a Node HTTP server, for server.ts and for in-process tests.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { trace } from "@opentelemetry/api";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ExecResult, FileContent, SandboxReadiness } from "../protocol/sandbox";
import type { Tracing } from "../telemetry/provider";
import { inSpan } from "../telemetry/spans";
import { bearerAuth } from "./auth";
import type { Backend, CloseOptions } from "./backends/types";
import { SandboxCapacity } from "./capacity";
import { changeRoutes } from "./change-routes";
import { environmentRoutes } from "./env-routes";
import { ServiceError } from "./errors";
import { ExecRecords } from "./exec-records";
import { execSpecOf } from "./exec-spec";
import { reapExpired, terminateJobs } from "./janitor";
import {
  DEFAULT_MAX_SANDBOXES,
  MAX_BODY_BYTES,
  MAX_FILE_BYTES,
  MAX_REMEMBERED_EXECS,
  REAP_INTERVAL_MS,
} from "./limits";
import { type Logger, silentLogger } from "./log";
import { problemResponse } from "./problem-response";
import { checkRepoPath } from "./repo-path";
import { requestFields } from "./request-fields";
import {
  cloneAuth,
  cloneSchema,
  createSandboxSchema,
  execSchema,
  fileContentSchema,
  janitorSchema,
  readJson,
} from "./schemas";
import { enableTraceContext, SERVICE_NAME, traceRequests } from "./tracing";

/** The app with what `startService` needs to stop it. */
export interface ServiceApp {
  app: Hono;
  /** Leaves the exec records on disk as they are, for a restart. */
  freezeRecords(): void;
  /** Terminates sandboxes past `maxAgeMs` and forgets their exec keys; resolves to how many. */
  reap(maxAgeMs: number): Promise<number>;
}

export interface ServiceOptions {
  backend: Backend;
  token: string;
  log?: Logger;
  /** Sandboxes held at once; a create beyond it is a retryable 429. Default `DEFAULT_MAX_SANDBOXES`. */
  maxSandboxes?: number;
  /** Export spans (tracing.ts); none when absent. */
  tracing?: Tracing;
}

/** The Hono app implementing every `/v1` route of the protocol plus `GET /healthz`. */
export function createServiceApp(options: ServiceOptions): Hono {
  return serviceApp(options).app;
}

function serviceApp(options: ServiceOptions): ServiceApp {
  const { backend } = options;
  const log = options.log ?? silentLogger;
  const runs = new ExecRecords((id) => backend.execsDir(id), MAX_REMEMBERED_EXECS);
  const capacity = new SandboxCapacity(options.maxSandboxes ?? DEFAULT_MAX_SANDBOXES);
  const app = new Hono();
  // Without `tracing` this is the API's no-op tracer: spans cost nothing.
  const tracer = options.tracing?.tracer ?? trace.getTracer(SERVICE_NAME);
  if (options.tracing) {
    enableTraceContext();
    app.use(traceRequests(tracer));
  }

  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    const ms = Math.round(performance.now() - started);
    log.info("request", {
      ...requestFields(c),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms,
    });
  });
  app.onError((error, c) => problemResponse(c, error, log));
  app.notFound((c) =>
    problemResponse(c, new ServiceError(404, "not found", `no route ${c.req.method} ${c.req.path}`), log),
  );

  app.get("/healthz", (c) => c.json({ ok: true, backend: backend.name }));

  app.use("/v1/*", bearerAuth(options.token));
  app.use(
    "/v1/*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ServiceError(413, "request body too large", `at most ${MAX_BODY_BYTES} bytes`);
      },
    }),
  );

  app.get("/v1/ready", async (c) => {
    const started = performance.now();
    await backend.proveReady();
    const ready: SandboxReadiness = {
      ok: true,
      backend: backend.name,
      ms: Math.round(performance.now() - started),
    };
    return c.json(ready);
  });

  app.post("/v1/sandboxes", async (c) => {
    const { jobId, environment } = await readJson(c, createSandboxSchema);
    const { sandbox, created } = await capacity.admit(backend, jobId, () =>
      backend.create(jobId, environment),
    );
    if (created) log.info("sandbox created", { ...requestFields(c), job_id: sandbox.id });
    return c.json(sandbox, created ? 201 : 200);
  });

  app.get("/v1/sandboxes", async (c) => c.json({ sandboxes: await backend.list() }));

  app.get("/v1/sandboxes/:id", async (c) => c.json(await backend.get(c.req.param("id"))));

  app.delete("/v1/sandboxes/:id", async (c) => {
    const id = c.req.param("id");
    await backend.terminate(id);
    runs.forget(id);
    return c.body(null, 204);
  });

  app.post("/v1/sandboxes/:id/clone", async (c) => {
    const request = await readJson(c, cloneSchema);
    return c.json(await backend.clone(c.req.param("id"), request, cloneAuth(c.req.header("clone-ticket"))));
  });

  app.post("/v1/sandboxes/:id/exec", async (c) => {
    const id = c.req.param("id");
    const body = await readJson(c, execSchema);
    await backend.get(id);
    const { spec, fingerprint } = execSpecOf(body);
    const attributes = { "process.executable.name": (body.argv[0] ?? "").split("/").at(-1) ?? "" };
    const run = (): Promise<ExecResult> =>
      inSpan(tracer, "exec", attributes, async (span) => {
        const result = await backend.exec(id, spec);
        span.setAttributes({
          "process.exit.code": result.exitCode,
          "process.duration_ms": result.durationMs,
        });
        return result;
      });
    if (body.idempotencyKey === undefined) return c.json(await run());
    return c.json(await runs.run(id, body.idempotencyKey, fingerprint, run));
  });

  app.get("/v1/sandboxes/:id/files", async (c) => {
    const path = checkRepoPath(c.req.query("path") ?? "");
    const file = await backend.readFile(c.req.param("id"), path);
    const body: FileContent = {
      path,
      contentBase64: Buffer.from(file.content).toString("base64"),
      mode: file.mode,
    };
    return c.json(body);
  });

  app.put("/v1/sandboxes/:id/files", async (c) => {
    const body = await readJson(c, fileContentSchema);
    const path = checkRepoPath(body.path);
    const content = Buffer.from(body.contentBase64, "base64");
    if (content.length > MAX_FILE_BYTES) {
      throw new ServiceError(413, "file too large", `contentBase64: more than ${MAX_FILE_BYTES} bytes`);
    }
    await backend.writeFile(c.req.param("id"), path, content, body.mode);
    return c.body(null, 204);
  });

  app.get("/v1/janitor", async (c) => c.json({ sandboxes: await backend.owned() }));

  app.post("/v1/janitor", async (c) => {
    const { jobIds } = await readJson(c, janitorSchema);
    const terminated = await terminateJobs(backend, jobIds);
    for (const s of terminated) runs.forget(s.id);
    if (terminated.length > 0)
      log.info("janitor: terminated sandboxes of ended jobs", { count: terminated.length });
    return c.json({ terminated });
  });

  app.route("/v1/sandboxes", changeRoutes(backend));
  app.route("/v1/sandboxes", environmentRoutes(backend));

  return {
    app,
    freezeRecords: () => runs.freeze(),
    reap: async (maxAgeMs) => {
      const reaped = await reapExpired(backend, maxAgeMs);
      for (const s of reaped) runs.forget(s.id);
      if (reaped.length > 0)
        log.info("terminated sandboxes past their maximum lifetime", { count: reaped.length });
      return reaped.length;
    },
  };
}

export interface StartOptions extends ServiceOptions {
  /** 0 picks a free port. */
  port: number;
  host: string;
  /** Sandboxes this old are terminated at start and every 15 minutes; none when absent. */
  maxLifetimeSeconds?: number;
}

export interface RunningService {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** The sandboxes taken up from an earlier process at start (before any reaping). */
  adopted: number;
  /**
   * Stops accepting requests, then closes. By default terminates every sandbox (ending running
   * commands); with `keepSandboxes` leaves them, their workspaces and records for the next process.
   */
  close(options?: CloseOptions): Promise<void>;
}

/**
 * Adopts what the backend holds from an earlier process, reaps the expired, then serves the app
 * on `host:port`; resolves once it listens.
 */
export async function startService(options: StartOptions): Promise<RunningService> {
  const log = options.log ?? silentLogger;
  const { app, freezeRecords, reap } = serviceApp(options);
  const adopted = await options.backend.adopt();
  if (adopted.length > 0) log.info("adopted sandboxes of an earlier process", { count: adopted.length });
  const maxAgeMs = options.maxLifetimeSeconds === undefined ? undefined : options.maxLifetimeSeconds * 1000;
  let reaper: NodeJS.Timeout | undefined;
  if (maxAgeMs !== undefined) {
    await reap(maxAgeMs);
    reaper = setInterval(() => {
      reap(maxAgeMs).catch((error: unknown) =>
        log.error("reaping expired sandboxes failed", { error: String(error) }),
      );
    }, REAP_INTERVAL_MS);
    reaper.unref();
  }
  const server = createServer(getRequestListener(app.fetch));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host =
    address === "0.0.0.0"
      ? "127.0.0.1"
      : address === "::"
        ? "[::1]"
        : address.includes(":")
          ? `[${address}]`
          : address;
  return {
    url: `http://${host}:${port}`,
    adopted: adopted.length,
    close: async (closeOptions = {}) => {
      clearInterval(reaper);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      if (closeOptions.keepSandboxes) freezeRecords();
      await options.backend.close(closeOptions);
      // A restart drops requests still waiting (a Modal command runs on): their callers retry.
      if (closeOptions.keepSandboxes) server.closeAllConnections();
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), 5_000);
      force.unref();
      await closed;
      clearTimeout(force);
      await options.tracing?.flush();
    },
  };
}
