/**
 * The sandbox service's traces: when OTEL_EXPORTER_OTLP_ENDPOINT is set, a server span per request
 * continuing the Worker's trace from its W3C `traceparent`, and a span per exec, exported over
 * OTLP/HTTP JSON like the Worker's. Attributes are the method, route, status, the executable's name
 * and the exit code: never argv past its first word, stdin, file content or a header.
 */
import {
  type Context,
  context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import type { MiddlewareHandler } from "hono";
import { otlpTarget } from "../telemetry/otlp-fetch-exporter";
import { createTracing, type Tracing } from "../telemetry/provider";

export const SERVICE_NAME = "modal-coding-agent-sandbox-service";

const w3c = new W3CTraceContextPropagator();

/** Tracing from the service's own environment; null (no export, no SDK) when no endpoint is set. */
export function tracingFromEnv(env: NodeJS.ProcessEnv): Tracing | null {
  const target = otlpTarget(env);
  return target ? createTracing(target, SERVICE_NAME) : null;
}

/**
 * Makes the active span follow async calls (exec spans under their request's span). The first
 * manager registered in a process wins; any AsyncLocalStorage one serves every service in it.
 */
export function enableTraceContext(): void {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

/** A server span per request, parented to the caller's `traceparent` when it sent one. */
export function traceRequests(tracer: Tracer): MiddlewareHandler {
  return async (c, next) => {
    const headers = { traceparent: c.req.header("traceparent"), tracestate: c.req.header("tracestate") };
    const parent: Context = w3c.extract(ROOT_CONTEXT, headers, {
      get: (carrier, key) => carrier[key as keyof typeof carrier] ?? undefined,
      keys: () => ["traceparent", "tracestate"],
    });
    const route = routeOf(c.req.path);
    const span = tracer.startSpan(
      `${c.req.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: { "http.request.method": c.req.method, "http.route": route, "url.path": c.req.path },
      },
      parent,
    );
    try {
      await context.with(trace.setSpan(parent, span), next);
      span.setAttribute("http.response.status_code", c.res.status);
      if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: String(c.res.status) });
      if (c.res.status >= 400) span.setAttribute("error.type", String(c.res.status));
    } finally {
      span.end();
    }
  };
}

/** The path with its sandbox id and blob sha as placeholders, as the routes declare them. */
function routeOf(path: string): string {
  return path
    .replace(/^\/v1\/sandboxes\/[^/]+/, "/v1/sandboxes/:id")
    .replace(/^(\/v1\/sandboxes\/:id\/blobs)\/[^/]+$/, "$1/:sha");
}
