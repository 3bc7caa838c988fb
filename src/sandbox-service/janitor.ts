/**
 * Garbage collection of sandboxes whose job no longer exists. The service cannot see jobs, so the
 * Worker's cron asks `GET /v1/janitor` for what the backend holds (found by tag at Modal), checks
 * each job in its JobRoom and posts the dead job ids back; at startup, orphans of earlier processes go.
 */
import type { Backend, OwnedSandbox } from "./backends/types";

/** Terminates every sandbox whose job is in `jobIds`; resolves to the ones terminated. */
export async function terminateJobs(backend: Backend, jobIds: Iterable<string>): Promise<OwnedSandbox[]> {
  const dead = new Set(jobIds);
  const doomed = (await backend.owned()).filter((s) => dead.has(s.jobId));
  await Promise.all(doomed.map((s) => backend.terminate(s.id)));
  return doomed;
}

/**
 * Terminates sandboxes of this service that this process did not create: after a restart their
 * state (clone, idempotency keys) is gone, so no request can use them again.
 */
export async function sweepOrphans(backend: Backend): Promise<OwnedSandbox[]> {
  const mine = new Set((await backend.list()).map((s) => s.id));
  const orphans = (await backend.owned()).filter((s) => !mine.has(s.id));
  await Promise.all(orphans.map((s) => backend.terminate(s.id)));
  return orphans;
}
