/**
 * `/jobs/:id`: the job page for browsers and the JSON snapshot for everyone else (one URL, by
 * `Accept`), the SSE stream (replay from the start, `Last-Event-ID` or `?after=N`, then live), the
 * diff and cancel. Job ids are random UUIDs, so the read routes are capability URLs; cancelling
 * needs an API token as well.
 */

import type { Context } from "hono";
import { Hono } from "hono";
import { accepts } from "hono/accepts";
import { requireBearer } from "../auth";
import { ApiError } from "../errors";
import { renderJobPage } from "../page/job-page";
import { renderNotFoundPage } from "../page/not-found-page";
import { foldPage } from "../page/page-view";
import { PAGE_HEADERS } from "../page/security-headers";

const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function roomFor(env: Env, id: string) {
  if (!JOB_ID.test(id)) throw new ApiError(404, "Job not found", `No job has the id "${id.slice(0, 80)}".`);
  return env.JOB_ROOM.get(env.JOB_ROOM.idFromName(id));
}

function notFound(id: string): ApiError {
  return new ApiError(404, "Job not found", `No job has the id "${id}".`);
}

/** Parses a resume position: a non-negative integer or nothing. */
function position(value: string | undefined, name: string): number | null {
  if (value === undefined || value === "") return null;
  if (!/^\d{1,15}$/.test(value.trim()))
    throw new ApiError(400, "Invalid request", `${name} must be a non-negative integer.`, { field: name });
  return Number(value.trim());
}

/** A browser (an `Accept` preferring text/html) gets the page; `*\/*`, JSON or nothing gets JSON. */
function wantsHtml(c: Context): boolean {
  return (
    accepts(c, {
      header: "Accept",
      supports: ["text/html", "application/json"],
      default: "application/json",
    }) === "text/html"
  );
}

function page(html: string, status: 200 | 404): Response {
  return new Response(html, {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      vary: "Accept",
      // The page changes with every event; a cached copy would resume from a stale position.
      "cache-control": "no-store",
      ...PAGE_HEADERS,
    },
  });
}

export const jobs = new Hono<{ Bindings: Env }>()
  .get("/:id", async (c) => {
    const id = c.req.param("id");
    if (!wantsHtml(c)) {
      const vary = { vary: "Accept" };
      if (!JOB_ID.test(id))
        throw new ApiError(404, "Job not found", notFound(id.slice(0, 80)).detail, {}, vary);
      const snap = await roomFor(c.env, id).snapshot();
      if (!snap) throw new ApiError(404, "Job not found", notFound(id).detail, {}, vary);
      return c.json(snap, 200, vary);
    }
    const data = JOB_ID.test(id) ? await roomFor(c.env, id).page() : null;
    if (!data) return page(await renderNotFoundPage(id), 404);
    const view = foldPage(data.job, data.events, c.env.GITHUB_URL);
    return page(await renderJobPage({ view, diff: data.diff, now: Date.now(), chain: data.chain }), 200);
  })
  .get("/:id/events", async (c) => {
    const id = c.req.param("id");
    const room = roomFor(c.env, id);
    if (!(await room.job())) throw notFound(id);
    // A browser's EventSource reconnects to the same `?after=` URL with a later Last-Event-ID:
    // whichever of the two is further along is where the client is.
    const after = Math.max(
      position(c.req.query("after"), "after") ?? 0,
      position(c.req.header("last-event-id"), "Last-Event-ID") ?? 0,
    );
    const stream = await room.fetch(new Request(`http://room/events?after=${after}`));
    return new Response(stream.body, { status: 200, headers: stream.headers });
  })
  // The job's change as a unified diff (stored by the room when publishing starts; diff-step.ts).
  .get("/:id/diff", async (c) => {
    const id = c.req.param("id");
    const room = roomFor(c.env, id);
    const diff = await room.diff();
    if (diff === null) {
      if (!(await room.job())) throw notFound(id);
      throw new ApiError(404, "Diff not available", "No diff yet: it appears when publishing starts.");
    }
    return c.body(diff, 200, {
      "content-type": "text/x-diff; charset=utf-8",
      "x-content-type-options": "nosniff",
    });
  })
  .post("/:id/cancel", async (c) => {
    await requireBearer(c.req.header("authorization"), c.env.CODE_API_TOKENS);
    const id = c.req.param("id");
    const outcome = await roomFor(c.env, id).cancel("Cancelled through the API.");
    if (outcome === "unknown") throw notFound(id);
    if (outcome === "already-done")
      throw new ApiError(409, "Job already finished", "The job has already ended.");
    return c.json({ jobId: id, status: "cancelled" }, 202);
  });
