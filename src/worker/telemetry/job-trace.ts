/**
 * One trace per job. The JobRoom hands out the trace id and the root span's id when the job is
 * created (kept in the JobRecord as a W3C traceparent), so every process and every attempt parents
 * its spans to the same root; the root span `job` itself is exported when the room logs `done`,
 * with the job's creation as its start.
 */
import { type Context, context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import type { JobStatus } from "../../protocol/events";
import type { Ending } from "../jobs/ending";
import type { JobRecord } from "../jobs/log";
import { flushAfter, type TracingEnv, useTracing } from "./tracing";

const w3c = new W3CTraceContextPropagator();

/** A fresh sampled traceparent: the job's trace id and its root span's id. */
export function newTraceparent(): string {
  const hex = (bytes: number) =>
    Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join(
      "",
    );
  return `00-${hex(16)}-${hex(8)}-01`;
}

/** The context whose parent is the job's root span; the root context for a job without one. */
export function jobContext(job: Pick<JobRecord, "traceparent">): Context {
  if (!job.traceparent) return ROOT_CONTEXT;
  return w3c.extract(
    ROOT_CONTEXT,
    { traceparent: job.traceparent },
    {
      get: (carrier, key) => carrier[key as keyof typeof carrier],
      keys: (carrier) => Object.keys(carrier),
    },
  );
}

/** Runs `fn` with the job's root span as the active parent. */
export function withJobTrace<T>(job: Pick<JobRecord, "traceparent">, fn: () => T): T {
  return context.with(jobContext(job), fn);
}

export interface JobEnd {
  status: JobStatus;
  prUrl?: string;
  errorCode?: string;
}

/** Records the root span `job` (created → now) with the ids of its traceparent; false when tracing is off. */
export function recordJobSpan(env: TracingEnv, job: JobRecord, end: JobEnd): boolean {
  const tracing = useTracing(env);
  const root = trace.getSpanContext(jobContext(job));
  if (!tracing || !root) return false;
  tracing.ids.pin({ traceId: root.traceId, spanId: root.spanId });
  const span = tracing.tracer.startSpan(
    "job",
    {
      root: true,
      kind: SpanKind.INTERNAL,
      startTime: new Date(job.createdAt),
      attributes: {
        "job.id": job.jobId,
        "job.repo": job.repo,
        "job.status": end.status,
        ...(job.requester ? { "job.requester": job.requester } : {}),
        ...(end.prUrl ? { "job.pr.url": end.prUrl } : {}),
      },
    },
    ROOT_CONTEXT,
  );
  if (end.errorCode) {
    span.setAttribute("error.type", end.errorCode);
    span.setStatus({ code: SpanStatusCode.ERROR, message: end.errorCode });
  }
  span.end();
  return true;
}

/** At `done`: records the root span and exports it after the room's call answers. */
export function endJobTrace(
  env: TracingEnv,
  ctx: { waitUntil(promise: Promise<unknown>): void },
  job: JobRecord,
  status: JobStatus,
  ending: Ending,
): void {
  const end: JobEnd = {
    status,
    ...(ending.prUrl ? { prUrl: ending.prUrl } : {}),
    ...(ending.error ? { errorCode: ending.error.code } : {}),
  };
  if (recordJobSpan(env, job, end)) flushAfter(ctx, env);
}
