/**
 * Tracing in the Worker's isolate. OpenTelemetry's API is a process-wide registry by design, so
 * the provider is registered once per isolate, on the first entry (request, JobRoom call,
 * Workflow run) whose environment sets `OTEL_EXPORTER_OTLP_ENDPOINT`. Unset, nothing is built or
 * registered: the API's no-op tracer and propagator make every span call free.
 */
import { context, propagation, type Tracer, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { otlpTarget } from "../../telemetry/otlp-fetch-exporter";
import { createTracing, type Tracing } from "../../telemetry/provider";

/** The keys tracing reads (a structural Env: the sandbox client is also used from Node tests). */
export type TracingEnv = Parameters<typeof otlpTarget>[0];

export const SERVICE_NAME = "modal-coding-agent-worker";

let registered: Tracing | null = null;

/** This isolate's tracing, registered on first use when `env` asks for export; else null. */
export function useTracing(env: TracingEnv): Tracing | null {
  if (registered) return registered;
  const target = otlpTarget(env);
  if (!target) return null;
  const tracing = createTracing(target, SERVICE_NAME);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(tracing.provider);
  registered = tracing;
  return tracing;
}

/** The Worker's tracer (the API's no-op one until `useTracing` registered a provider). */
export function tracer(): Tracer {
  return trace.getTracer(SERVICE_NAME);
}

/** Exports this invocation's spans after it answers, never holding the answer back. */
export function flushAfter(ctx: { waitUntil(promise: Promise<unknown>): void }, env: TracingEnv): void {
  const tracing = useTracing(env);
  if (tracing) ctx.waitUntil(tracing.flush());
}
