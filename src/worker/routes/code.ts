/**
 * `POST /code`: validate, create the job (JobRoom + CodeJob Workflow), answer with its SSE stream.
 * The first event (`job`) is in the log before the response starts; nothing slow happens before
 * the stream begins, and a client that goes away does not stop the job. Each token is a tenant with
 * its own rate and concurrency limits (429 + Retry-After), and an `Idempotency-Key` seen in the last
 * 24 h streams the job it started instead of starting another. A deployment that lacks a key jobs
 * need answers 503 naming it, before any job exists.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { type ApiCaller, requireBearer } from "../auth";
import { configOf, notConfigured } from "../config";
import { ApiError } from "../errors";
import { parseRepo } from "../github/repo";
import { resolveBudget } from "../jobs/budget";
import { startJob } from "../jobs/start";
import { admitJob, admittedOrThrow, digestHex } from "../limits/admit";
import { codeRequestSchema, MAX_BODY_BYTES } from "./code-schema";

/** An `Idempotency-Key`: printable ASCII, as the IETF draft's examples (UUIDs, say). */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export const code = new Hono<{ Bindings: Env; Variables: { caller: ApiCaller } }>().post(
  "/",
  async (c, next) => {
    c.set("caller", await requireBearer(c.req.header("authorization"), c.env.CODE_API_TOKENS));
    refuseUnconfigured(c.env);
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
  async (c) => {
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      throw new ApiError(400, "Invalid JSON", "The request body is not valid JSON.");
    }
    const parsed = codeRequestSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field =
        issue?.path.join(".") || (issue?.code === "unrecognized_keys" ? issue.keys.join(", ") : "body");
      throw new ApiError(400, "Invalid request", `${field}: ${issue?.message ?? "invalid"}`, {
        field,
        errors: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
      });
    }
    const body = parsed.data;
    const repo = parseRepo(body.repoUrl, c.env.GITHUB_URL);
    if (typeof repo === "string") {
      throw new ApiError(400, "Invalid request", `repoUrl: ${repo}`, { field: "repoUrl" });
    }
    // Only the budget config: building every client (deps) is not work a request should pay for.
    const limits = resolveBudget(configOf(c.env).budgets, body.limits);
    if (typeof limits === "string") {
      throw new ApiError(400, "Invalid request", limits, { field: limits.split(":")[0] });
    }
    const { name: tokenName, tenant } = c.get("caller");
    const idempotencyKey = c.req.header("idempotency-key");
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new ApiError(
        400,
        "Invalid request",
        "Idempotency-Key must be 1 to 255 printable ASCII characters.",
        {
          field: "Idempotency-Key",
        },
      );
    }
    const admission = await admitJob(
      c.env,
      tenant,
      crypto.randomUUID(),
      idempotencyKey === undefined
        ? undefined
        : { key: idempotencyKey, fingerprint: await digestHex(JSON.stringify(raw)) },
    );
    const { jobId: admittedId, replayed } = admittedOrThrow(admission);
    // A replayed Idempotency-Key starts nothing new: the room already holds that job.
    const { jobId, room } = await startJob(c.env, {
      jobId: admittedId,
      repo,
      baseBranch: body.baseBranch ?? null,
      prompt: body.prompt,
      ...(body.draft === undefined ? {} : { draft: body.draft }),
      limits,
      origin: new URL(c.req.url).origin,
      requester: `api:${tokenName ?? "unnamed token"}`,
      tenant,
    });
    const stream = await room.fetch(new Request("http://room/events?after=0"));
    return new Response(stream.body, {
      status: 200,
      headers: {
        ...Object.fromEntries(stream.headers),
        "x-job-id": jobId,
        location: `/jobs/${jobId}`,
        ...(replayed ? { "idempotent-replayed": "true" } : {}),
      },
    });
  },
);

/**
 * 503, not 500: nothing is wrong with the request or broken in the code; the service is not
 * available until its operator sets the keys the detail names (RFC 9110 §15.6.4).
 */
function refuseUnconfigured(env: Env): void {
  const problem = notConfigured(env);
  if (!problem) return;
  throw new ApiError(503, "Server not configured", problem.detail, { missing: problem.keys });
}
