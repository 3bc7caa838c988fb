/**
 * The tracer provider both processes build when `OTEL_EXPORTER_OTLP_ENDPOINT` is set: batched
 * export over OTLP/HTTP JSON (otlp-fetch-exporter.ts), a resource naming the process, and an id
 * generator that can be told the next ids, so the JobRoom can export the job's root span with the
 * ids it handed out when the job started.
 */
import type { Tracer } from "@opentelemetry/api";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BatchSpanProcessor,
  type IdGenerator,
  RandomIdGenerator,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import { OtlpFetchExporter, type OtlpTarget } from "./otlp-fetch-exporter";

/** Random ids, except for the one span started right after `pin` (synchronously: no interleaving). */
export class PinnableIdGenerator implements IdGenerator {
  private readonly random = new RandomIdGenerator();
  private traceId: string | null = null;
  private spanId: string | null = null;

  pin(ids: { traceId: string; spanId: string }): void {
    this.traceId = ids.traceId;
    this.spanId = ids.spanId;
  }

  // The SDK asks a root span for both ids, each once, in an order of its own: each is used up alone.
  generateTraceId(): string {
    const pinned = this.traceId;
    this.traceId = null;
    return pinned ?? this.random.generateTraceId();
  }

  generateSpanId(): string {
    const pinned = this.spanId;
    this.spanId = null;
    return pinned ?? this.random.generateSpanId();
  }
}

export interface Tracing {
  tracer: Tracer;
  ids: PinnableIdGenerator;
  /** Exports what is buffered; never rejects (a collector that is down loses those spans). */
  flush(): Promise<void>;
}

export function createTracing(
  target: OtlpTarget,
  serviceName: string,
  fetcher?: typeof fetch,
): Tracing & { provider: TracerProvider } {
  const ids = new PinnableIdGenerator();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": serviceName }),
    idGenerator: ids,
    // Prompts and outputs are never attributes; this bounds anything else that grows.
    spanLimits: { attributeValueLengthLimit: 200 },
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OtlpFetchExporter(target, fetcher),
        scheduledDelayMillis: 1_000,
        maxExportBatchSize: 256,
      }),
    ],
  });
  return {
    provider,
    ids,
    tracer: provider.getTracer(serviceName),
    flush: () => provider.forceFlush().catch(() => undefined),
  };
}
