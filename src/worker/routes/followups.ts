/**
 * `POST /jobs/:id/followups`: the next turn on the pull request job `:id` opened or continues.
 * The caller's token must be the same tenant's as the job's (another tenant gets 404, as for an
 * unknown job). It answers like `POST /code`: the new job's event stream. A job without a PR, or
 * whose PR is closed or merged, gets 409; a follow-up asked while another turn of the same PR runs
 * is accepted and waits for it (`status` `queued`).
 */
import { Hono } from "hono";
import { configOf } from "../config";
import { ApiError } from "../errors";
import { resolveFollowUp, startFollowUp } from "../followups/start";
import { resolveBudget } from "../jobs/budget";
import { type ApiJobVariables, admitApiJob, apiCaller, jobStream } from "./api-job";
import { followUpRequestSchema } from "./code-schema";
import { jsonBody, jsonOnly } from "./json-body";

export const followups = new Hono<{ Bindings: Env; Variables: ApiJobVariables }>().post(
  "/:id/followups",
  apiCaller,
  ...jsonOnly,
  async (c) => {
    const id = c.req.param("id");
    const { raw, body } = await jsonBody(c, followUpRequestSchema);
    const limits = resolveBudget(configOf(c.env).budgets, body.limits);
    if (typeof limits === "string") {
      throw new ApiError(400, "Invalid request", limits, { field: limits.split(":")[0] });
    }
    const { name: tokenName, tenant } = c.get("caller");
    const resolved = await resolveFollowUp(c.env, { jobId: id, tenant });
    if (resolved.kind === "not_found") {
      throw new ApiError(404, "Job not found", `No job has the id "${id.slice(0, 80)}".`);
    }
    if (resolved.kind === "conflict") throw new ApiError(409, "Nothing to follow up", resolved.detail);
    const { jobId: admittedId, replayed } = await admitApiJob(c, raw);
    const { jobId } = await startFollowUp(c.env, resolved.target, {
      jobId: admittedId,
      prompt: body.prompt,
      limits,
      origin: new URL(c.req.url).origin,
      requester: `api:${tokenName ?? "unnamed token"}`,
      tenant,
    });
    return jobStream(c.env, jobId, replayed);
  },
);
