/**
 * The query strings of `GET /jobs` and `GET /usage` as zod schemas: they validate requests
 * (routes/history.ts) and are the source of the OpenAPI document's parameters (routes/openapi.ts),
 * so the two cannot drift. The cursor is opaque to clients: base64url of the last row's
 * (created_at, id), checked as strictly as any other field.
 */
import { z } from "zod";

export const STATUSES = ["running", "succeeded", "failed", "cancelled"] as const;
export const MAX_LIMIT = 100;
export const MAX_USAGE_DAYS = 366;

const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const tenant = z
  .string()
  .min(1)
  .max(200)
  .describe("Admin tokens only: one tenant (`api:<name>`, `slack:<team>:<user>`).");

export const listQuerySchema = z
  .object({
    status: z.enum(STATUSES).optional().describe("Only jobs in this state."),
    repo: z
      .string()
      .regex(/^[\w.-]+\/[\w.-]+$/, "must be owner/name")
      .max(201)
      .optional()
      .describe("Only jobs on this repository (`owner/name`, case-insensitive)."),
    since: z.iso
      .datetime({ offset: true })
      .optional()
      .describe("Only jobs created at or after this time (ISO 8601)."),
    limit: z
      .string()
      .regex(/^\d{1,3}$/, `must be a whole number from 1 to ${MAX_LIMIT}`)
      .refine(
        (v) => Number(v) >= 1 && Number(v) <= MAX_LIMIT,
        `must be a whole number from 1 to ${MAX_LIMIT}`,
      )
      .optional()
      .describe(`Jobs per page, 1 to ${MAX_LIMIT} (default 20).`),
    cursor: z.string().max(300).optional().describe("`nextCursor` of the previous page."),
    tenant: tenant.optional(),
  })
  .strict();

export const usageQuerySchema = z
  .object({
    from: z.iso.date().describe("First day (UTC, `YYYY-MM-DD`), inclusive."),
    to: z.iso
      .date()
      .describe(`Last day (UTC, \`YYYY-MM-DD\`), inclusive; the range spans at most ${MAX_USAGE_DAYS} days.`),
    tenant: tenant.optional(),
  })
  .strict();

/** Where a page ended: the last row shown. */
export interface Cursor {
  createdAt: string;
  id: string;
}

const cursorSchema = z.tuple([z.iso.datetime(), z.string().regex(JOB_ID)]);

export function encodeCursor(at: Cursor): string {
  const bytes = new TextEncoder().encode(JSON.stringify([at.createdAt, at.id]));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** The cursor's position, or null when it is not one this API issued. */
export function decodeCursor(text: string): Cursor | null {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return null;
  try {
    const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
    const json = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(
      Uint8Array.from(binary, (c) => c.charCodeAt(0)),
    );
    const parsed = cursorSchema.safeParse(JSON.parse(json));
    return parsed.success ? { createdAt: parsed.data[0], id: parsed.data[1] } : null;
  } catch {
    // Not base64, not UTF-8 or not JSON: not a cursor we issued.
    return null;
  }
}

/** The days from `from` to `to`, inclusive, as `YYYY-MM-DD`; null when `to` is before `from`. */
export function daysBetween(from: string, to: string): string[] | null {
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  if (end < start) return null;
  const days: string[] = [];
  for (let t = start; t <= end && days.length <= MAX_USAGE_DAYS; t += 86_400_000) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

/** `day` + 1, as `YYYY-MM-DD`. */
export function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}
