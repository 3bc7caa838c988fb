// A loopback stand-in for an OpenTelemetry collector's OTLP/HTTP traces receiver (JSON encoding):
// `POST /v1/traces` with `content-type: application/json`, each body checked against the OTLP
// JSON mapping (otlp-schema.ts). Like the collector it answers 415 to another content type, 400
// (a google.rpc.Status) to a payload that does not decode, and 200 with an empty
// ExportTraceServiceResponse to a good one. It keeps every raw byte received, for secret checks.
import { type LoopbackServer, listenLoopback, readBody, sendJson } from "./loopback-server";
import { exportTraceServiceRequest, type OtlpAnyValue, type OtlpKeyValue } from "./otlp-schema";

/** One received span, flattened: its resource's `service.name` and its attributes as a record. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, unknown>;
  status: { code: number; message: string };
}

export interface OtlpCollector {
  /** The base URL to give as OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  spans: ReceivedSpan[];
  /** Every request body as received, accepted or not. */
  raw: Buffer[];
  /** Why requests were refused (content type, decoding), in order. */
  rejected: string[];
  /** Headers of each accepted request. */
  headers: Record<string, string | string[] | undefined>[];
  /** Resolves once `predicate` holds for the spans received (checked on every export). */
  waitFor(predicate: (spans: ReceivedSpan[]) => boolean): Promise<void>;
  close(): Promise<void>;
}

export async function startOtlpCollector(): Promise<OtlpCollector> {
  const spans: ReceivedSpan[] = [];
  const raw: Buffer[] = [];
  const rejected: string[] = [];
  const headers: OtlpCollector["headers"] = [];
  const waiters: { predicate: (s: ReceivedSpan[]) => boolean; resolve: () => void }[] = [];
  const settle = () => {
    for (const w of [...waiters]) {
      if (w.predicate(spans)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  const refuse = (res: Parameters<typeof sendJson>[0], status: number, message: string) => {
    rejected.push(message);
    // google.rpc.Status, as the collector's HTTP receiver answers errors.
    sendJson(res, status, { code: 3, message }); // 3: INVALID_ARGUMENT
  };
  const server: LoopbackServer = await listenLoopback(async (req, res) => {
    const body = await readBody(req);
    raw.push(body);
    if (req.method !== "POST" || req.url !== "/v1/traces") {
      refuse(res, 404, `no route ${req.method} ${req.url}`);
      return;
    }
    const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
    if (type !== "application/json") {
      refuse(res, 415, `unsupported content type ${JSON.stringify(req.headers["content-type"])}`);
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString("utf8"));
    } catch {
      refuse(res, 400, "body is not JSON");
      return;
    }
    const parsed = exportTraceServiceRequest.safeParse(json);
    if (!parsed.success) {
      refuse(res, 400, parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
      return;
    }
    headers.push(req.headers);
    for (const rs of parsed.data.resourceSpans ?? []) {
      const service = String(record(rs.resource?.attributes)["service.name"] ?? "");
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          spans.push({
            service,
            traceId: s.traceId ?? "",
            spanId: s.spanId ?? "",
            parentSpanId: s.parentSpanId ?? "",
            name: s.name ?? "",
            kind: s.kind ?? 0,
            startNs: BigInt(s.startTimeUnixNano ?? 0),
            endNs: BigInt(s.endTimeUnixNano ?? 0),
            attributes: record(s.attributes),
            status: { code: s.status?.code ?? 0, message: s.status?.message ?? "" },
          });
        }
      }
    }
    sendJson(res, 200, {});
    settle();
  });
  return {
    url: server.origin,
    spans,
    raw,
    rejected,
    headers,
    waitFor: (predicate) =>
      new Promise<void>((resolve) => {
        waiters.push({ predicate, resolve });
        settle();
      }),
    close: () => server.close(),
  };
}

/** Attributes as a plain record (arrays and kvlists unwrapped, int64 strings as numbers). */
export function record(attributes: OtlpKeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((attributes ?? []).map((kv) => [kv.key ?? "", plain(kv.value)]));
}

function plain(value: OtlpAnyValue | undefined): unknown {
  if (!value) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return Number(value.doubleValue);
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(plain);
  if (value.kvlistValue) return record(value.kvlistValue.values);
  if (value.bytesValue !== undefined) return Buffer.from(value.bytesValue, "base64");
  return null;
}
