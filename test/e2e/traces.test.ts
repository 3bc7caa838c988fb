// Traces end to end: a whole job through the real Worker on workerd and the real sandbox service,
// both exporting OTLP/HTTP JSON to the collector stand-in, which checks every payload against the
// OTLP JSON mapping. One trace id across both processes, the span tree (job → steps, model calls,
// tool calls → sandbox calls → the service's request and exec spans; GitHub calls under steps),
// token counts that add up to `done.usage`, and no secret in any exported byte. Without the
// endpoint nothing is exported and no traceparent is sent.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OtlpCollector, type ReceivedSpan, startOtlpCollector } from "../stand-ins/otlp";
import { postCode, type System, startSystem } from "./harness";
import { collectEvents, type ParsedEvent } from "./sse";

const WORKER = "modal-coding-agent-worker";
const SERVICE = "modal-coding-agent-sandbox-service";
const COLLECTOR_KEY = "otlp-key-4f1d9c0e7a2b";

const FILES = { "README.md": "# api\n", "src/app.js": "console.log('Hello');\n" };

function trajectory(marker: string) {
  return [
    {
      content: "Looking around.",
      toolCalls: [{ name: "bash", arguments: { command: "ls && cat src/app.js" } }],
      usage: { promptTokens: 120, completionTokens: 12 },
    },
    {
      toolCalls: [{ name: "bash", arguments: { command: "sed -i 's/Hello/Hi/' src/app.js && exit 3" } }],
      usage: { promptTokens: 210, completionTokens: 9 },
    },
    {
      toolCalls: [{ name: "finish", arguments: { title: `Say hi ${marker}`, summary: "Says hi." } }],
      usage: { promptTokens: 330, completionTokens: 21 },
    },
  ];
}

async function runJob(system: System, marker: string): Promise<ParsedEvent[]> {
  await system.github.createRepo("acme", "api", FILES);
  system.openai.setScript(trajectory(marker), marker);
  const response = await postCode(system, {
    repoUrl: `${system.github.webUrl}/acme/api`,
    prompt: `${marker} Say hi`,
  });
  expect(response.status).toBe(200);
  return (await collectEvents(response)).events;
}

/** The worker's export is complete: the root is in, and every Worker span's parent arrived. */
function workerComplete(spans: ReceivedSpan[]): boolean {
  const ids = new Set(spans.map((s) => s.spanId));
  const worker = spans.filter((s) => s.service === WORKER);
  return (
    worker.some((s) => s.name === "job") &&
    worker.some((s) => s.name === "sandbox DELETE") &&
    worker.every((s) => s.parentSpanId === "" || ids.has(s.parentSpanId))
  );
}

describe("traces with OTEL_EXPORTER_OTLP_ENDPOINT set", () => {
  let collector: OtlpCollector;
  let system: System;
  let events: ParsedEvent[];
  /** Every span received; `spans` are the job's trace. */
  let all: ReceivedSpan[];
  let spans: ReceivedSpan[];
  const byId = new Map<string, ReceivedSpan>();
  const ancestors = (span: ReceivedSpan): ReceivedSpan[] => {
    const chain: ReceivedSpan[] = [];
    for (let p = byId.get(span.parentSpanId); p; p = byId.get(p.parentSpanId)) chain.push(p);
    return chain;
  };

  beforeAll(async () => {
    collector = await startOtlpCollector();
    system = await startSystem({
      otel: { endpoint: collector.url, headers: `x-collector-key=${COLLECTOR_KEY}` },
      serviceHook: () => undefined,
    });
    events = await runJob(system, "[traces]");
    await collector.waitFor(workerComplete);
    // Closing the service flushes its last spans.
    await system.close();
    all = collector.spans;
    const traceId = all.find((s) => s.name === "job")?.traceId;
    spans = all.filter((s) => s.traceId === traceId);
    for (const s of all) byId.set(s.spanId, s);
  });
  afterAll(async () => {
    await collector?.close();
  });

  it("accepts every export: valid OTLP JSON, with the collector's headers, from both processes", () => {
    expect(collector.rejected).toEqual([]);
    expect(collector.headers.length).toBeGreaterThan(0);
    for (const h of collector.headers) expect(h["x-collector-key"]).toBe(COLLECTOR_KEY);
    expect(new Set(spans.map((s) => s.service))).toEqual(new Set([WORKER, SERVICE]));
  });

  it("has a server span per Worker request, each in a trace of its own", () => {
    const code = all.filter((s) => s.name === "POST /code");
    expect(code).toHaveLength(1);
    expect(code[0]).toMatchObject({ parentSpanId: "", kind: 2 });
    expect(code[0]?.attributes).toMatchObject({
      "http.request.method": "POST",
      "http.response.status_code": 200,
    });
    expect(spans).not.toContain(code[0]);
  });

  it("puts the whole job in one trace under one root span `job` with the job's attributes", () => {
    const done = events.at(-1)?.data as { status: string; prUrl: string };
    const job = events[0]?.data as { jobId: string };
    expect(done.status).toBe("succeeded");
    const roots = spans.filter((s) => s.parentSpanId === "");
    expect(roots.map((s) => s.name)).toEqual(["job"]);
    const root = roots[0] as ReceivedSpan;
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([root.traceId]));
    expect(root.attributes).toMatchObject({
      "job.id": job.jobId,
      "job.repo": "acme/api",
      "job.requester": "api:e2e-suite",
      "job.status": "succeeded",
      "job.pr.url": done.prUrl,
    });
    // Every other span hangs from the root through spans that were all exported.
    for (const s of spans.filter((x) => x !== root)) expect(ancestors(s).at(-1)).toBe(root);
    // The root spans the job: it starts before and ends after everything else in it.
    for (const s of spans) {
      expect(s.startNs >= root.startNs).toBe(true);
      expect(s.endNs <= root.endNs).toBe(true);
    }
  });

  it("has a span per Workflow step, with the GitHub calls under them", () => {
    const steps = spans.filter((s) => s.service === WORKER && s.name.startsWith("step "));
    expect(steps.length).toBeGreaterThan(2);
    for (const s of steps) expect(s.attributes["workflow.step.name"]).toBe(s.name.slice("step ".length));
    const github = spans.filter((s) => s.name.startsWith("github "));
    expect(github.length).toBeGreaterThan(0);
    for (const g of github) {
      expect(g.attributes["http.request.method"]).toBe(g.name.slice("github ".length));
      expect(String(g.attributes["url.path"])).toMatch(/^\//);
      expect(typeof g.attributes["http.response.status_code"]).toBe("number");
      expect(ancestors(g).some((a) => a.name.startsWith("step "))).toBe(true);
    }
    expect(
      github.some((g) => g.name === "github POST" && /\/pulls$/.test(String(g.attributes["url.path"]))),
    ).toBe(true);
  });

  it("has a GenAI span per model call whose token counts add up to done.usage", () => {
    const done = events.at(-1)?.data as { usage: { promptTokens: number; completionTokens: number } };
    const model = spans.filter((s) => s.name === "chat scripted-model");
    expect(model).toHaveLength(3);
    for (const m of model) {
      expect(m.attributes["gen_ai.request.model"]).toBe("scripted-model");
      expect(m.attributes["gen_ai.response.finish_reasons"]).toEqual(["tool_calls"]);
    }
    const sum = (key: string) => model.reduce((n, m) => n + Number(m.attributes[key]), 0);
    expect(sum("gen_ai.usage.input_tokens")).toBe(done.usage.promptTokens);
    expect(sum("gen_ai.usage.output_tokens")).toBe(done.usage.completionTokens);
    expect(done.usage.promptTokens).toBe(660);
  });

  it("has tool spans with exit codes, and the service's request and exec spans under the Worker's exec", () => {
    const tools = spans.filter((s) => s.name === "execute_tool bash");
    expect(tools.map((t) => t.attributes["process.exit.code"])).toEqual([0, 3]);
    for (const tool of tools) {
      const execs = spans.filter((s) => s.name === "sandbox.exec" && ancestors(s).includes(tool));
      expect(execs).toHaveLength(1);
      const exec = execs[0] as ReceivedSpan;
      const served = spans.filter(
        (s) => s.service === SERVICE && s.name === "exec" && ancestors(s).includes(exec),
      );
      expect(served).toHaveLength(1);
      const request = byId.get(served[0]?.parentSpanId ?? "");
      expect(request?.name).toBe("POST /v1/sandboxes/:id/exec");
      expect(request?.attributes["http.response.status_code"]).toBe(200);
      // The service's request span is the child of the Worker's HTTP client span for that call.
      expect(byId.get(request?.parentSpanId ?? "")?.name).toBe("sandbox POST");
      expect(served[0]?.attributes["process.exit.code"]).toBe(tool.attributes["process.exit.code"]);
    }
  });

  it("carries the job's trace id in the traceparent of every sandbox service call", () => {
    const traceId = spans.find((s) => s.name === "job")?.traceId;
    const seen = system.tap?.seen ?? [];
    expect(seen.length).toBeGreaterThan(0);
    for (const r of seen)
      expect(String(r.headers.traceparent)).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  });

  it("gives the service's log lines of the job's requests the job's trace id and their span's id", () => {
    const traceId = spans.find((s) => s.name === "job")?.traceId;
    const lines = system
      .serviceLogs()
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((e) => e.msg === "request" && String(e.path).startsWith("/v1/"));
    expect(lines.length).toBeGreaterThan(0);
    const serviceSpans = new Set(spans.filter((s) => s.service === SERVICE).map((s) => s.spanId));
    for (const e of lines) {
      expect(e.trace_id).toBe(traceId);
      expect(serviceSpans.has(String(e.span_id))).toBe(true);
    }
    // The Worker's line of how the job ended points at the trace's root.
    const finished = system
      .workerLogs()
      .map(({ message }) => {
        try {
          return JSON.parse(message) as Record<string, unknown>;
        } catch {
          return {};
        }
      })
      .filter((e) => e.msg === "job finished");
    const root = spans.find((s) => s.name === "job");
    expect(finished).toEqual([expect.objectContaining({ trace_id: traceId, span_id: root?.spanId })]);
  });

  it("exports no secret, token, or prompt in any byte", () => {
    const bytes = Buffer.concat(collector.raw).toString("utf8");
    const secrets = [
      ...Object.values(system.secrets)
        .flatMap((v) => v.split(","))
        .flatMap((v) => [v, v.split(":").at(-1) ?? v]),
      COLLECTOR_KEY,
    ];
    for (const s of secrets) expect(bytes).not.toContain(s);
    expect(bytes).not.toContain("Say hi");
    expect(bytes).not.toContain("console.log");
    // Nor what the model said.
    expect(bytes).not.toContain("Looking around");
  });
});

describe("traces of a job that fails", () => {
  let collector: OtlpCollector;
  let events: ParsedEvent[];

  beforeAll(async () => {
    collector = await startOtlpCollector();
    // A key the model API refuses (401): a refusal, so the job ends at the first model call.
    const system = await startSystem({
      otel: { endpoint: collector.url },
      workerSecrets: { OPENAI_API_KEY: "sk-refused-0123456789abcdef" },
    });
    try {
      events = await runJob(system, "[traces-failed]");
      await collector.waitFor(workerComplete);
    } finally {
      await system.close();
    }
  });
  afterAll(async () => {
    await collector?.close();
  });

  it("sets status ERROR with the error code on the root and on the failed model call", () => {
    const error = events.find((e) => e.type === "error")?.data as { code: string };
    expect(error.code).toBe("model_error");
    const root = collector.spans.find((s) => s.name === "job");
    expect(root?.attributes["job.status"]).toBe("failed");
    expect(root?.status).toEqual({ code: 2, message: "model_error" });
    expect(root?.attributes["error.type"]).toBe("model_error");
    const model = collector.spans.filter((s) => s.name === "chat scripted-model");
    expect(model.length).toBeGreaterThan(0);
    for (const m of model) {
      expect(m.traceId).toBe(root?.traceId);
      expect(m.status).toEqual({ code: 2, message: "model_error" });
    }
    expect(collector.rejected).toEqual([]);
  });
});

describe("traces with OTEL_EXPORTER_OTLP_ENDPOINT unset", () => {
  let collector: OtlpCollector;
  let system: System;
  let events: ParsedEvent[];

  beforeAll(async () => {
    collector = await startOtlpCollector();
    system = await startSystem({ serviceHook: () => undefined });
    events = await runJob(system, "[untraced]");
    await system.close();
  });
  afterAll(async () => {
    await collector?.close();
  });

  it("runs the job, exports nothing and sends no traceparent", () => {
    expect(events.at(-1)?.data).toMatchObject({ status: "succeeded" });
    expect(collector.raw).toEqual([]);
    const seen = system.tap?.seen ?? [];
    expect(seen.length).toBeGreaterThan(0);
    for (const r of seen) expect(r.headers.traceparent).toBeUndefined();
  });
});
