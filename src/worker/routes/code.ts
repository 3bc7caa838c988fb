/**
 * `POST /code`: validate, create the job (JobRoom + CodeJob Workflow), answer with its SSE stream.
 * The first event (`job`) is in the log before the response starts; nothing slow happens before
 * the stream begins, and a client that goes away does not stop the job. Each token is a tenant with
 * its own rate and concurrency limits (429 + Retry-After), and an `Idempotency-Key` seen in the last
 * 24 h streams the job it started instead of starting another. A deployment that lacks a key jobs
 * need answers 503 naming it, before any job exists.
 */
import { Hono } from "hono";
import { configOf } from "../config";
import { ApiError } from "../errors";
import { parseRepo } from "../github/repo";
import { resolveBudget } from "../jobs/budget";
import { startJobStream } from "../jobs/start";
import { type ApiJobVariables, admitApiJob, apiCaller, streamResponse } from "./api-job";
import { codeRequestSchema } from "./code-schema";
import { jsonBody, jsonOnly } from "./json-body";

export const code = new Hono<{ Bindings: Env; Variables: ApiJobVariables }>().post(
  "/",
  apiCaller,
  ...jsonOnly,
  async (c) => {
    const { raw, body } = await jsonBody(c, codeRequestSchema);
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
    const { jobId: admittedId, replayed } = await admitApiJob(c, raw);
    // A replayed Idempotency-Key starts nothing new: the room already holds that job. One call
    // to the room creates the job and opens its stream.
    const { jobId, events } = await startJobStream(c.env, {
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
    return streamResponse(jobId, events, replayed);
  },
);
