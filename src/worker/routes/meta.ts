/**
 * Service metadata: `/healthz` for load balancers, `/openapi.json` (request schemas generated from
 * the same zod schemas that validate them) and `/docs`, the same document as an offline HTML page.
 */
import { Hono } from "hono";
import { renderDocs } from "./docs-page";
import { openApiDocument } from "./openapi";

export const meta = new Hono<{ Bindings: Env }>()
  .get("/healthz", (c) => c.json({ ok: true }))
  .get("/openapi.json", (c) => c.json(openApiDocument()))
  .get("/docs", (c) => c.html(renderDocs(openApiDocument())));
