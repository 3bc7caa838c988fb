/**
 * Garbage collection of sandboxes whose job has ended. The service cannot see jobs, so the
 * Worker's cron asks `GET /v1/janitor` for what the backend holds (found by tag at Modal), checks
 * each job in its JobRoom and posts the ended or unknown job ids back. On its own the service
 * only removes sandboxes past their maximum lifetime: no job runs that long, so they have ended.
 * A restart adopts the sandboxes it finds instead of sweeping them: their jobs may still run.
 */
import type { SandboxInfo } from "../protocol/sandbox";
import type { Backend, OwnedSandbox } from "./backends/types";

/** Terminates every sandbox whose job is in `jobIds`; resolves to the ones terminated. */
export async function terminateJobs(backend: Backend, jobIds: Iterable<string>): Promise<OwnedSandbox[]> {
  const dead = new Set(jobIds);
  const doomed = (await backend.owned()).filter((s) => dead.has(s.jobId));
  await Promise.all(doomed.map((s) => backend.terminate(s.id)));
  return doomed;
}

/** Terminates the sandboxes created `maxAgeMs` or longer before `now`; resolves to them. */
export async function reapExpired(
  backend: Backend,
  maxAgeMs: number,
  now = Date.now(),
): Promise<SandboxInfo[]> {
  const expired = (await backend.list()).filter((s) => now - Date.parse(s.createdAt) >= maxAgeMs);
  await Promise.all(expired.map((s) => backend.terminate(s.id)));
  return expired;
}
