/**
 * Admission for new jobs, shared by `POST /code` and Slack's `/pr`: the tenant's TenantLimiter
 * decides; a refusal becomes a 429 with Retry-After (problem+json) for the API. Limits come from
 * vars (JOBS_PER_MINUTE, MAX_CONCURRENT_JOBS) so a deployment tunes them without a code change.
 */
import { configOf } from "../config";
import { ApiError } from "../errors";
import type { Admission } from "./limiter";

/**
 * Asks tenant `tenant`'s limiter whether job `jobId` may start; with `delivery`, the same call
 * says whether this signed request was seen before (limiter.ts).
 */
export async function admitJob(
  env: Env,
  tenant: string,
  jobId: string,
  idempotency?: { key: string; fingerprint: string },
  delivery?: { key: string; ttlMs: number },
): Promise<Admission> {
  const limiter = env.TENANT_LIMITER.get(env.TENANT_LIMITER.idFromName(tenant));
  return limiter.admit({
    jobId,
    ...configOf(env).admission,
    ...(idempotency ? { idempotencyKey: idempotency.key, fingerprint: idempotency.fingerprint } : {}),
    ...(delivery ? { delivery } : {}),
  });
}

/** The job id to stream for an API request, or the ApiError (429, 409) that refuses it. */
export function admittedOrThrow(admission: Admission): { jobId: string; replayed: boolean } {
  switch (admission.kind) {
    case "admitted":
      return { jobId: admission.jobId, replayed: false };
    case "replay":
      return { jobId: admission.jobId, replayed: true };
    // The API sends no delivery key (its retries are the Idempotency-Key's); answered all the same.
    case "redelivered":
      throw new ApiError(409, "Request repeated", "This exact request was already received.");
    case "key-reused":
      throw new ApiError(
        409,
        "Idempotency-Key reused",
        "This Idempotency-Key was already used with a different request in the last 24 hours.",
      );
    case "limited": {
      const what =
        admission.reason === "rate"
          ? `at most ${admission.limit} jobs a minute`
          : `at most ${admission.limit} jobs running at once`;
      throw new ApiError(
        429,
        "Too many jobs",
        `This client may start ${what}; try again in ${admission.retryAfterSeconds} s.`,
        { reason: admission.reason, retryAfter: admission.retryAfterSeconds },
        { "retry-after": String(admission.retryAfterSeconds) },
      );
    }
  }
}

/** A short, stable digest (hex) of `text`, for tenant names and request fingerprints. */
export async function digestHex(text: string): Promise<string> {
  const bytes = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(bytes)]
    .slice(0, 16)
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}
