/**
 * `GET /jobs` and `GET /usage`: the job history in D1 (history/store.ts), read with the same
 * bearer tokens as `POST /code`, each seeing its own tenant's jobs; ADMIN_API_TOKENS see every
 * tenant and may pick one with `?tenant=`. Bad query strings are 400 problem+json naming the field.
 */
import { Hono } from "hono";
import type { z } from "zod";
import { type HistoryReader, requireReader } from "../auth";
import { ApiError } from "../errors";
import {
  daysBetween,
  decodeCursor,
  encodeCursor,
  listQuerySchema,
  MAX_USAGE_DAYS,
  nextDay,
  STATUSES,
  usageQuerySchema,
} from "../history/query";
import { listJobs, usageGroups } from "../history/store";

const DEFAULT_LIMIT = 20;

function parseQuery<S extends z.ZodType>(schema: S, query: Record<string, string>): z.output<S> {
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field =
    issue?.path.join(".") || (issue?.code === "unrecognized_keys" ? issue.keys.join(", ") : "query");
  throw new ApiError(400, "Invalid request", `${field}: ${issue?.message ?? "invalid"}`, { field });
}

/** The tenant a read is about: the caller's own, or for an admin `?tenant=` (null: all of them). */
function tenantOf(reader: HistoryReader, asked: string | undefined): string | null {
  if (reader.admin) return asked ?? null;
  if (asked !== undefined && asked !== reader.caller.tenant) {
    throw new ApiError(403, "Forbidden", "Only admin tokens (ADMIN_API_TOKENS) may read another tenant.", {
      field: "tenant",
    });
  }
  return reader.caller.tenant;
}

function database(env: Env): D1Database {
  // Checked, not assumed: an old wrangler.toml without the [[d1_databases]] block.
  if (!env.DB)
    throw new ApiError(503, "Server not configured", "The job history database (DB) is not bound.");
  return env.DB;
}

export const history = new Hono<{ Bindings: Env }>()
  .get("/jobs", async (c) => {
    const reader = await requireReader(
      c.req.header("authorization"),
      c.env.CODE_API_TOKENS,
      c.env.ADMIN_API_TOKENS,
    );
    const q = parseQuery(listQuerySchema, c.req.query());
    const before = q.cursor === undefined ? null : decodeCursor(q.cursor);
    if (q.cursor !== undefined && before === null) {
      throw new ApiError(400, "Invalid request", "cursor: is not a cursor this API issued", {
        field: "cursor",
      });
    }
    const limit = q.limit === undefined ? DEFAULT_LIMIT : Number(q.limit);
    const rows = await listJobs(database(c.env), {
      tenant: tenantOf(reader, q.tenant),
      status: q.status ?? null,
      repo: q.repo ?? null,
      since: q.since === undefined ? null : new Date(q.since).toISOString(),
      before,
      limit,
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const more = rows.length > limit && last !== undefined;
    return c.json({
      jobs: page,
      nextCursor: more ? encodeCursor({ createdAt: last.createdAt, id: last.jobId }) : null,
    });
  })
  .get("/usage", async (c) => {
    const reader = await requireReader(
      c.req.header("authorization"),
      c.env.CODE_API_TOKENS,
      c.env.ADMIN_API_TOKENS,
    );
    const q = parseQuery(usageQuerySchema, c.req.query());
    const days = daysBetween(q.from, q.to);
    if (days === null)
      throw new ApiError(400, "Invalid request", "to: must not be before from", { field: "to" });
    if (days.length > MAX_USAGE_DAYS) {
      throw new ApiError(400, "Invalid request", `to: the range may span at most ${MAX_USAGE_DAYS} days`, {
        field: "to",
      });
    }
    const tenant = tenantOf(reader, q.tenant);
    const groups = await usageGroups(database(c.env), tenant, q.from, nextDay(q.to));
    const byDay = new Map(days.map((day) => [day, emptyTotals()]));
    const totals = emptyTotals();
    for (const g of groups) {
      for (const t of [byDay.get(g.day), totals]) {
        if (!t) continue;
        t.jobs[g.status] += g.jobs;
        t.jobs.total += g.jobs;
        t.steps += g.steps;
        t.promptTokens += g.promptTokens;
        t.completionTokens += g.completionTokens;
        t.tokens += g.promptTokens + g.completionTokens;
        t.costUsd += g.costUsd;
      }
    }
    return c.json({
      from: q.from,
      to: q.to,
      tenant,
      days: [...byDay].map(([date, t]) => ({ date, ...t })),
      totals,
    });
  });

function emptyTotals() {
  const jobs = Object.fromEntries([...STATUSES, "total"].map((s) => [s, 0])) as Record<
    (typeof STATUSES)[number] | "total",
    number
  >;
  return { jobs, steps: 0, promptTokens: 0, completionTokens: 0, tokens: 0, costUsd: 0 };
}
