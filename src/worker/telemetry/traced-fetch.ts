/**
 * `fetch` with a client span per call, for the GitHub and Slack clients: method, path, status
 * (HTTP semantic conventions). Never the query string or a header: those can hold tokens.
 */
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { tracer } from "./tracing";

export function tracedFetch(peer: string, inner: typeof fetch): typeof fetch {
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
          const response = await inner(input, init);
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
