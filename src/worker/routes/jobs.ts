/**
 * `/jobs/:id`: the JSON snapshot, the SSE stream (replay from the start, `Last-Event-ID` or
 * `?after=N`, then live), the diff and cancel. Job ids are random UUIDs, so the read routes are capability
 * URLs; cancelling needs an API token as well.
 */
import { Hono } from "hono";
import { requireBearer } from "../auth";
import { ApiError } from "../errors";

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

export const jobs = new Hono<{ Bindings: Env }>()
  .get("/:id", async (c) => {
    const id = c.req.param("id");
    const snap = await roomFor(c.env, id).snapshot();
    if (!snap) throw notFound(id);
    return c.json(snap);
  })
  .get("/:id/events", async (c) => {
    const id = c.req.param("id");
    const room = roomFor(c.env, id);
    if (!(await room.job())) throw notFound(id);
    const after =
      position(c.req.query("after"), "after") ??
      position(c.req.header("last-event-id"), "Last-Event-ID") ??
      0;
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
