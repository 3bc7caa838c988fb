// The collector stand-in is as strict as an OTLP/HTTP receiver: what the real SDK and exporter
// send is accepted and decoded; another content type, ids that are not hex of the right length,
// and unknown fields are refused, with the status codes the collector uses.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseOtlpHeaders } from "../../src/telemetry/otlp-fetch-exporter";
import { createTracing } from "../../src/telemetry/provider";
import { type OtlpCollector, startOtlpCollector } from "./otlp";

describe("OTLP collector stand-in", () => {
  let collector: OtlpCollector;
  beforeAll(async () => {
    collector = await startOtlpCollector();
  });
  afterAll(async () => {
    await collector.close();
  });

  const post = (body: unknown, type = "application/json") =>
    fetch(`${collector.url}/v1/traces`, {
      method: "POST",
      headers: { "content-type": type },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  const oneSpan = (span: Record<string, unknown>) => ({
    resourceSpans: [{ scopeSpans: [{ spans: [span] }] }],
  });
  const good = { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", name: "x" };

  it("accepts and decodes what the SDK exports, pinned ids, parent, attributes and status included", async () => {
    const tracing = createTracing({ endpoint: `${collector.url}/`, headers: { "x-key": "k" } }, "unit");
    tracing.ids.pin({ traceId: good.traceId, spanId: good.spanId });
    const root = tracing.tracer.startSpan("root", { root: true, attributes: { n: 3, list: ["a", "b"] } });
    const child = tracing.tracer.startSpan(
      "child",
      { kind: SpanKind.CLIENT },
      trace.setSpan(ROOT_CONTEXT, root),
    );
    child.setStatus({ code: SpanStatusCode.ERROR, message: "boom" });
    child.end();
    root.end();
    await tracing.flush();
    expect(collector.rejected).toEqual([]);
    const [c, r] = [
      collector.spans.find((s) => s.name === "child"),
      collector.spans.find((s) => s.name === "root"),
    ];
    expect(r).toMatchObject({
      service: "unit",
      traceId: good.traceId,
      spanId: good.spanId,
      parentSpanId: "",
    });
    expect(r?.attributes).toEqual({ n: 3, list: ["a", "b"] });
    expect(c).toMatchObject({ traceId: good.traceId, parentSpanId: good.spanId, kind: 3 });
    expect(c?.status).toEqual({ code: 2, message: "boom" });
    expect(collector.headers.at(-1)?.["x-key"]).toBe("k");
  });

  it("answers 200 {} to a minimal valid request", async () => {
    const response = await post(oneSpan(good));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
  });

  it("refuses another content type with 415", async () => {
    expect((await post(oneSpan(good), "application/x-protobuf")).status).toBe(415);
  });

  it.each([
    ["a base64 trace id", { ...good, traceId: "CvdlGRbNQ92ESOshHIAxnA==" }],
    ["a short span id", { ...good, spanId: "b7ad6b71" }],
    ["an all-zero trace id", { ...good, traceId: "0".repeat(32) }],
    ["uppercase hex", { ...good, spanId: "B7AD6B7169203331" }],
    ["an unknown field", { ...good, colour: "blue" }],
    ["a snake_case key", { ...good, parent_span_id: "b7ad6b7169203332" }],
    ["an enum by name", { ...good, kind: "SPAN_KIND_CLIENT" }],
    [
      "an AnyValue with two members",
      { ...good, attributes: [{ key: "k", value: { stringValue: "a", intValue: 1 } }] },
    ],
  ])("refuses %s with 400", async (_label, span) => {
    const before = collector.rejected.length;
    const response = await post(oneSpan(span));
    expect(response.status).toBe(400);
    expect(collector.rejected.length).toBe(before + 1);
  });

  it("refuses a body that is not JSON", async () => {
    expect((await post("{")).status).toBe(400);
  });
});

describe("OTEL_EXPORTER_OTLP_HEADERS", () => {
  it("parses comma-separated key=value pairs, trimmed and percent-decoded, keys lowercased", () => {
    expect(parseOtlpHeaders("api-key=abc%3D1, X-Team = t ,broken,=novalue")).toEqual({
      "api-key": "abc=1",
      "x-team": "t",
    });
    expect(parseOtlpHeaders(undefined)).toEqual({});
  });
});
