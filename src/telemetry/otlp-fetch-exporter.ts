/**
 * A span exporter that POSTs OTLP/HTTP JSON with `fetch`, which both workerd and Node have. The
 * wire format is the OpenTelemetry transformer's (JsonTraceSerializer); only the POST is ours,
 * because the upstream HTTP exporter reaches for XHR, sendBeacon or node:http depending on the
 * build, none of which a Worker has.
 */
import { type ExportResult, ExportResultCode } from "@opentelemetry/core";
import { JsonTraceSerializer } from "@opentelemetry/otlp-transformer";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace";

export interface OtlpTarget {
  /** `OTEL_EXPORTER_OTLP_ENDPOINT`: the collector's base URL; spans go to `<endpoint>/v1/traces`. */
  endpoint: string;
  /** `OTEL_EXPORTER_OTLP_HEADERS`, parsed (an API key for the collector, say). */
  headers: Record<string, string>;
}

export class OtlpFetchExporter implements SpanExporter {
  private readonly url: string;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly target: OtlpTarget,
    private readonly fetcher: typeof fetch = (input, init) => fetch(input, init),
  ) {
    this.url = `${target.endpoint.replace(/\/+$/, "")}/v1/traces`;
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const body = JsonTraceSerializer.serializeRequest(spans);
    if (!body) {
      done({ code: ExportResultCode.FAILED, error: new Error("spans could not be serialized") });
      return;
    }
    const sent = this.post(body).then(done, (error: unknown) =>
      done({
        code: ExportResultCode.FAILED,
        error: error instanceof Error ? error : new Error(String(error)),
      }),
    );
    this.pending.add(sent);
    void sent.finally(() => this.pending.delete(sent));
  }

  private async post(body: Uint8Array): Promise<ExportResult> {
    const response = await this.fetcher(this.url, {
      method: "POST",
      headers: { ...this.target.headers, "content-type": "application/json" },
      body,
    });
    // Read to the end so the connection is released; the body (partialSuccess) is not acted on.
    await response.arrayBuffer();
    if (response.ok) return { code: ExportResultCode.SUCCESS };
    return {
      code: ExportResultCode.FAILED,
      error: new Error(`OTLP collector answered HTTP ${response.status}`),
    };
  }

  async forceFlush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
  }
}

/**
 * `OTEL_EXPORTER_OTLP_HEADERS` as the OpenTelemetry spec defines it: `key=value` pairs separated
 * by commas, values URL-encoded (W3C Baggage's format); a pair without `=` is skipped.
 */
export function parseOtlpHeaders(raw: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of (raw ?? "").split(",")) {
    const at = pair.indexOf("=");
    if (at <= 0) continue;
    const key = pair.slice(0, at).trim().toLowerCase();
    const value = pair.slice(at + 1).trim();
    if (key) headers[key] = safeDecode(value);
  }
  return headers;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    // Not percent-encoded after all: taken as written.
    return value;
  }
}

/** The target from the environment's two keys; null when no endpoint is set (no export at all). */
export function otlpTarget(env: {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_HEADERS?: string | undefined;
}): OtlpTarget | null {
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!endpoint) return null;
  return { endpoint, headers: parseOtlpHeaders(env.OTEL_EXPORTER_OTLP_HEADERS) };
}
