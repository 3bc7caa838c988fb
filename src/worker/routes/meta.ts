/**
 * Service metadata: `/healthz` for load balancers (no I/O), `/readyz` for operators (bearer: it
 * reaches the sandbox service, D1 and the configuration, readiness.ts), `/openapi.json` (request
 * schemas generated from the same zod schemas that validate them) and `/docs`, the same document
 * as an offline HTML page.
 */
import { Hono } from "hono";
import { requireBearer } from "../auth";
import { checkReadiness, failures } from "../readiness";
import { renderDocs } from "./docs-page";
import { openApiDocument } from "./openapi";

export const meta = new Hono<{ Bindings: Env }>()
  .get("/healthz", (c) => c.json({ ok: true }))
  .get("/readyz", async (c) => {
    // Bearer first: the checks cost each caller a sandbox-service round trip and a query.
    await requireBearer(c.req.header("authorization"), c.env.CODE_API_TOKENS);
    const readiness = await checkReadiness(c.env);
    const headers = { "cache-control": "no-store" };
    if (readiness.ready) return c.json({ status: "ready", checks: readiness.checks }, 200, headers);
    const problem = {
      type: "about:blank",
      title: "Not ready",
      status: 503,
      detail: failures(readiness),
      checks: readiness.checks,
    };
    return c.body(JSON.stringify(problem), 503, { ...headers, "content-type": "application/problem+json" });
  })
  .get("/openapi.json", (c) => c.json(openApiDocument()))
  .get("/docs", (c) => c.html(renderDocs(openApiDocument())));
