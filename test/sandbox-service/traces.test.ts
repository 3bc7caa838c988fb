// The sandbox service process exports traces from its own environment (OTEL_EXPORTER_OTLP_*):
// its request spans continue the caller's W3C traceparent, each exec is a span under its request
// with the exit code, the collector's headers go along, and a SIGTERM flushes what is buffered.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OtlpCollector, type ReceivedSpan, startOtlpCollector } from "../stand-ins/otlp";
import { listeningUrl, type ServerProcess, startServer } from "./server-process";

const TOKEN = "service-token-for-traces-0123456789";
const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER = "00f067aa0ba902b7";

describe("sandbox service process traces", () => {
  let collector: OtlpCollector;
  let server: ServerProcess;
  let root: string;
  let spans: ReceivedSpan[];

  beforeAll(async () => {
    collector = await startOtlpCollector();
    root = await mkdtemp(join(tmpdir(), "service-traces-"));
    server = startServer({
      SANDBOX_SERVICE_TOKEN: TOKEN,
      SANDBOX_ROOT: root,
      PORT: "0",
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_HEADERS: "x-collector-key=abc%2C123",
    });
    const url = await listeningUrl(server);
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${TOKEN}`,
          "content-type": "application/json",
          traceparent: `00-${TRACE}-${CALLER}-01`,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    expect((await call("POST", "/v1/sandboxes", { jobId: "traced-job" })).status).toBe(201);
    const exec = await call("POST", "/v1/sandboxes/traced-job/exec", { argv: ["sh", "-c", "exit 4"] });
    expect(((await exec.json()) as { exitCode: number }).exitCode).toBe(4);
    expect((await call("DELETE", "/v1/sandboxes/traced-job")).status).toBe(204);
    // A request with no traceparent starts a trace of its own.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    server.child.kill("SIGTERM");
    await new Promise((resolve) => server.child.once("exit", resolve));
    spans = collector.spans;
  });
  afterAll(async () => {
    if (server?.child.exitCode === null) server.child.kill("SIGKILL");
    await collector?.close();
    await rm(root, { recursive: true, force: true });
  });

  it("continues the caller's trace: a server span per request, parented to the traceparent's span", () => {
    expect(collector.rejected).toEqual([]);
    const traced = spans.filter((s) => s.traceId === TRACE && s.parentSpanId === CALLER);
    expect(traced.map((s) => s.name).sort()).toEqual([
      "DELETE /v1/sandboxes/:id",
      "POST /v1/sandboxes",
      "POST /v1/sandboxes/:id/exec",
    ]);
    for (const s of traced) {
      expect(s).toMatchObject({ service: "modal-coding-agent-sandbox-service", kind: 2 });
      expect(typeof s.attributes["http.response.status_code"]).toBe("number");
    }
  });

  it("records each exec as a child of its request, with the executable and exit code only", () => {
    const request = spans.find((s) => s.name === "POST /v1/sandboxes/:id/exec");
    const exec = spans.filter((s) => s.name === "exec");
    expect(exec).toHaveLength(1);
    expect(exec[0]).toMatchObject({ traceId: TRACE, parentSpanId: request?.spanId });
    expect(exec[0]?.attributes).toMatchObject({ "process.executable.name": "sh", "process.exit.code": 4 });
    expect(Buffer.concat(collector.raw).toString()).not.toContain("exit 4");
  });

  it("starts a new trace for a request without traceparent, sends the collector's headers, never the token", () => {
    const health = spans.find((s) => s.name === "GET /healthz");
    expect(health?.parentSpanId).toBe("");
    expect(health?.traceId).not.toBe(TRACE);
    for (const h of collector.headers) expect(h["x-collector-key"]).toBe("abc,123");
    expect(Buffer.concat(collector.raw).toString()).not.toContain(TOKEN);
  });
});
