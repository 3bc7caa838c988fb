/**
 * The Worker's HTTP surface: routes grouped with `app.route()`, one `onError` that renders every
 * refusal as `application/problem+json` and never turns bad input into a 5xx.
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { ApiError } from "./errors";
import { log } from "./log";
import { code } from "./routes/code";
import { followups } from "./routes/followups";
import { gitProxy } from "./routes/git-proxy";
import { history } from "./routes/history";
import { jobs } from "./routes/jobs";
import { meta } from "./routes/meta";
import { slack } from "./routes/slack";

function problem(
  status: number,
  title: string,
  detail?: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) {
  return new Response(
    JSON.stringify({ type: "about:blank", title, status, ...(detail ? { detail } : {}), ...extra }),
    {
      status,
      headers: { "content-type": "application/problem+json", ...headers },
    },
  );
}

/** Builds the app; `index.ts` exports its `fetch`. */
export function createApp() {
  const app = new Hono<{ Bindings: Env }>();
  app.route("/code", code);
  // Before /jobs/:id, so `GET /jobs` is the history list.
  app.route("/", history);
  app.route("/jobs", jobs);
  app.route("/jobs", followups);
  app.route("/git", gitProxy);
  app.route("/slack", slack);
  app.route("/", meta);
  app.notFound((c) =>
    problem(404, "Not found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`),
  );
  app.onError((error) => {
    if (error instanceof ApiError)
      return problem(error.status, error.title, error.detail, error.extra, error.headers);
    if (error instanceof HTTPException) return problem(error.status, error.message || "Bad request");
    log.error("unhandled error", { error });
    return problem(500, "Internal error", "Something went wrong on our side; the request was not processed.");
  });
  return app;
}
