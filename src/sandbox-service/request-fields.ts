/**
 * What every log line about a request carries: the job it is for (a sandbox's id is its job's id,
 * so `/v1/sandboxes/:id/...` names the job) and the caller's trace from its `traceparent` header,
 * so the service's lines join the Worker's in a query by `job_id` or `trace_id`.
 */
import type { Context } from "hono";
import { type LogFields, traceparentIds } from "./log";

const SANDBOX_PATH = /^\/v1\/sandboxes\/([^/]+)/;

/** `job_id` (when the path names a sandbox) and `trace_id`/`span_id` (when the caller sent them). */
export function requestFields(c: Context): LogFields {
  const id = SANDBOX_PATH.exec(c.req.path)?.[1];
  return {
    ...(id ? { job_id: decodeURIComponent(id) } : {}),
    ...traceparentIds(c.req.header("traceparent")),
  };
}
