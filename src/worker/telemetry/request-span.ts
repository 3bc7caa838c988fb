/**
 * A server span per Worker request when tracing is on, exported after the answer is sent. A
 * request from outside starts a trace of its own: a `traceparent` from the internet is not
 * trusted to place our spans in someone else's trace. The path is recorded, never the query
 * (a `response_url`, a token) or a header.
 */
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { flushAfter, useTracing } from "./tracing";

type Handler = (request: Request, env: Env, ctx: ExecutionContext) => Response | Promise<Response>;

export function tracedHandler(handler: Handler): Handler {
  return async (request, env, ctx) => {
    const tracing = useTracing(env);
    if (!tracing) return handler(request, env, ctx);
    const path = new URL(request.url).pathname;
    return tracing.tracer.startActiveSpan(
      `${request.method} ${routeOf(path)}`,
      {
        root: true,
        kind: SpanKind.SERVER,
        attributes: { "http.request.method": request.method, "url.path": path, "http.route": routeOf(path) },
      },
      async (span) => {
        try {
          const response = await handler(request, env, ctx);
          span.setAttribute("http.response.status_code", response.status);
          if (response.status >= 500)
            span.setStatus({ code: SpanStatusCode.ERROR, message: String(response.status) });
          return response;
        } catch (error) {
          span.setStatus({
            code: SpanStatusCode.ERROR,
            message: error instanceof Error ? error.name : "error",
          });
          throw error;
        } finally {
          span.end();
          flushAfter(ctx, env);
        }
      },
    );
  };
}

/** The path with job ids (UUIDs, and the hex ids of Slack jobs) as `:id`, so routes group. */
function routeOf(path: string): string {
  return path.replace(/^\/jobs\/[^/]+/, "/jobs/:id").replace(/^\/git\/.*$/, "/git/*");
}
