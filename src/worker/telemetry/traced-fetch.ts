/**
 * `fetch` with a client span per call, for the GitHub, Slack and sandbox service clients: method,
 * path, status (HTTP semantic conventions). Never the query string or a header: those can hold
 * tokens. With `propagate` the call carries the span as W3C `traceparent`, for our own service
 * only: a vendor has no use for our trace ids.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { tracer } from "./tracing";

export function tracedFetch(
  peer: string,
  inner: typeof fetch,
  options: { propagate?: boolean } = {},
): typeof fetch {
  return async (input, init) => {
    // Outside any trace (no active span: a call with no job behind it) the call is not recorded.
    if (!trace.getActiveSpan()) return inner(input, init);
    // Read without building a Request, which would take a streamed body from the real call.
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    return tracer().startActiveSpan(
      `${peer} ${method}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          "http.request.method": method,
          "url.path": url.pathname,
          "server.address": url.hostname,
          "peer.service": peer,
        },
      },
      async (span) => {
        try {
          let sent = init;
          if (options.propagate) {
            const headers = new Headers(init?.headers);
            propagation.inject(context.active(), headers, { set: (h, k, v) => h.set(k, v) });
            sent = { ...init, headers };
          }
          const response = await inner(input, sent);
          span.setAttribute("http.response.status_code", response.status);
          if (response.status >= 400) {
            span.setAttribute("error.type", String(response.status));
            span.setStatus({ code: SpanStatusCode.ERROR, message: String(response.status) });
          }
          return response;
        } catch (error) {
          const name = error instanceof Error ? error.name : "fetch_error";
          span.setAttribute("error.type", name);
          span.setStatus({ code: SpanStatusCode.ERROR, message: name });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  };
}
