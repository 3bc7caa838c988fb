/**
 * The service's one error renderer: any thrown value as `application/problem+json`, with the
 * status, `retryable` and headers (WWW-Authenticate, Retry-After) a caller acts on. Unexpected
 * errors are logged by message only and answered 500 (or 503 when the host is short of resources).
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { badRequest, ServiceError } from "./errors";
import { MAX_BODY_BYTES } from "./limits";
import type { Logger } from "./log";
import { requestFields } from "./request-fields";

const TRANSIENT_CODES = new Set(["EAGAIN", "EMFILE", "ENFILE", "ENOMEM", "ENOSPC"]);

/** The problem+json response for any thrown value; unexpected errors are logged, never their bodies. */
export function problemResponse(c: Context, error: unknown, log: Logger): Response {
  let problem: ServiceError;
  if (error instanceof ServiceError) problem = error;
  else if (error instanceof HTTPException && error.status === 413) {
    problem = new ServiceError(413, "request body too large", `at most ${MAX_BODY_BYTES} bytes`);
  } else if (error instanceof HTTPException && error.status < 500) {
    problem = badRequest(error.message || "malformed request");
  } else {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    const message = error instanceof Error ? error.message : String(error);
    log.error("unexpected error", {
      ...requestFields(c),
      method: c.req.method,
      path: c.req.path,
      error: message,
    });
    problem = TRANSIENT_CODES.has(code ?? "")
      ? new ServiceError(503, "temporarily unavailable", message, true)
      : new ServiceError(500, "internal error", message);
  }
  const headers: Record<string, string> = { "content-type": "application/problem+json" };
  if (problem.status === 401) headers["www-authenticate"] = 'Bearer realm="sandbox-service"';
  if (problem.retryAfterSeconds !== undefined) headers["retry-after"] = String(problem.retryAfterSeconds);
  return c.body(JSON.stringify(problem.toProblem()), problem.status, headers);
}
