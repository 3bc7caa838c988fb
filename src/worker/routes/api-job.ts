/**
 * What the API's job-starting routes share (`POST /code`, `POST /jobs/:id/followups`): the caller
 * (a bearer token, on a deployment configured for jobs), the tenant's admission with an optional
 * `Idempotency-Key`, and the answer — the new job's event stream.
 */
import type { Context, MiddlewareHandler } from "hono";
import { type ApiCaller, requireBearer } from "../auth";
import { notConfigured } from "../config";
import { ApiError } from "../errors";
import { admitJob, admittedOrThrow, digestHex } from "../limits/admit";

/** An `Idempotency-Key`: printable ASCII, as the IETF draft's examples (UUIDs, say). */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export type ApiJobVariables = { caller: ApiCaller };

/** 401 without a valid token; 503 naming the missing keys on a deployment not set up for jobs. */
export const apiCaller: MiddlewareHandler<{ Bindings: Env; Variables: ApiJobVariables }> = async (
  c,
  next,
) => {
  c.set("caller", await requireBearer(c.req.header("authorization"), c.env.CODE_API_TOKENS));
  // 503, not 500: nothing is wrong with the request or broken in the code; the service is not
  // available until its operator sets the keys the detail names (RFC 9110 §15.6.4).
  const problem = notConfigured(c.env);
  if (problem) throw new ApiError(503, "Server not configured", problem.detail, { missing: problem.keys });
  await next();
};

/**
 * The id of the job to start (or, for a repeated Idempotency-Key, to stream again), or the
 * ApiError (429, 409) that refuses it. The key's fingerprint covers the path and the body.
 */
export async function admitApiJob(
  c: Context<{ Bindings: Env; Variables: ApiJobVariables }>,
  raw: unknown,
): Promise<{ jobId: string; replayed: boolean }> {
  const key = c.req.header("idempotency-key");
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
    throw new ApiError(
      400,
      "Invalid request",
      "Idempotency-Key must be 1 to 255 printable ASCII characters.",
      {
        field: "Idempotency-Key",
      },
    );
  }
  const fingerprint = async () => digestHex(`${new URL(c.req.url).pathname}\n${JSON.stringify(raw)}`);
  const admission = await admitJob(
    c.env,
    c.get("caller").tenant,
    crypto.randomUUID(),
    key === undefined ? undefined : { key, fingerprint: await fingerprint() },
  );
  return admittedOrThrow(admission);
}

/** `200 text/event-stream`: the job's events from the first, live until `done`. */
export async function jobStream(env: Env, jobId: string, replayed: boolean): Promise<Response> {
  const room = env.JOB_ROOM.get(env.JOB_ROOM.idFromName(jobId));
  return streamResponse(jobId, await room.fetch(new Request("http://room/events?after=0")), replayed);
}

/** The room's event stream `events` as the answer to the request that started job `jobId`. */
export function streamResponse(jobId: string, events: Response, replayed: boolean): Response {
  const headers = new Headers(events.headers);
  headers.set("x-job-id", jobId);
  headers.set("location", `/jobs/${jobId}`);
  if (replayed) headers.set("idempotent-replayed", "true");
  return new Response(events.body, { status: 200, headers });
}
