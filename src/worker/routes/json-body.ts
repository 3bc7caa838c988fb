/**
 * The JSON request bodies of the API's POST routes (`/code`, `/jobs/:id/followups`): the media
 * type, a size bound, valid JSON and the route's zod schema, each refused with its own problem
 * (415, 413, 400 naming the field), never a 5xx.
 */
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { z } from "zod";
import { ApiError } from "../errors";
import { MAX_BODY_BYTES } from "./code-schema";

/** Refuses a body that is not `application/json` (415), then one over MAX_BODY_BYTES (413). */
export const jsonOnly: MiddlewareHandler[] = [
  async (c, next) => {
    const type = c.req.header("content-type") ?? "";
    if (!/^application\/json\s*(;|$)/i.test(type)) {
      throw new ApiError(415, "Unsupported media type", "Send the body as `Content-Type: application/json`.");
    }
    await next();
  },
  bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError(413, "Body too large", `The request body must be at most ${MAX_BODY_BYTES} bytes.`);
    },
  }),
];

/** The body parsed and checked against `schema`, with the raw value (for fingerprints). */
export async function jsonBody<S extends z.ZodType>(
  c: Context,
  schema: S,
): Promise<{ raw: unknown; body: z.infer<S> }> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new ApiError(400, "Invalid JSON", "The request body is not valid JSON.");
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field =
      issue?.path.join(".") || (issue?.code === "unrecognized_keys" ? issue.keys.join(", ") : "body");
    throw new ApiError(400, "Invalid request", `${field}: ${issue?.message ?? "invalid"}`, {
      field,
      errors: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    });
  }
  return { raw, body: parsed.data };
}
