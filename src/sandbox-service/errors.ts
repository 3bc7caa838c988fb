/**
 * The one error type the sandbox service throws on purpose. Backends and routes throw it; the app's
 * single `onError` renders it as `application/problem+json` (the protocol's `SandboxProblem`).
 * `retryable` is the service's verdict on whether the same request may succeed later.
 */
import type { SandboxProblem } from "../protocol/sandbox";

export class ServiceError extends Error {
  constructor(
    readonly status: 400 | 401 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 501 | 502 | 503 | 504,
    readonly title: string,
    readonly detail?: string,
    readonly retryable = false,
    /** Sent as `Retry-After` (seconds) with a retryable answer. */
    readonly retryAfterSeconds?: number,
  ) {
    super(detail ? `${title}: ${detail}` : title);
    this.name = "ServiceError";
  }

  /** The problem+json body for this error. */
  toProblem(): SandboxProblem {
    const problem: SandboxProblem = { title: this.title, status: this.status, retryable: this.retryable };
    if (this.detail !== undefined) problem.detail = this.detail;
    return problem;
  }
}

/** 404 for a sandbox id that is unknown or already terminated. */
export function sandboxNotFound(id: string): ServiceError {
  return new ServiceError(404, "sandbox not found", `no live sandbox with id ${id}`);
}

/** 400 naming the offending field. */
export function badRequest(detail: string): ServiceError {
  return new ServiceError(400, "invalid request", detail);
}
