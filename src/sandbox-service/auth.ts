/**
 * Bearer-token check for every /v1 route. Both sides are hashed with SHA-256 before
 * `timingSafeEqual`, so the comparison takes the same time whatever the length or content of the
 * presented token.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { ServiceError } from "./errors";

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/** Middleware refusing (401) any request without `Authorization: Bearer <token>`. */
export function bearerAuth(token: string): MiddlewareHandler {
  if (token.length === 0) throw new Error("the service token must not be empty");
  const expected = digest(token);
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    const presented = digest(match?.[1] ?? "");
    // Compared even when the header is absent or malformed, so every refusal costs the same.
    if (!timingSafeEqual(presented, expected) || !match) {
      throw new ServiceError(401, "unauthorized", "a valid Authorization: Bearer token is required");
    }
    await next();
  };
}
