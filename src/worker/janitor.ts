/**
 * The Worker's half of the sandbox janitor, run by the cron trigger: ask the sandbox service which
 * sandboxes it holds (by job), ask each job's JobRoom whether the job still runs, and have the
 * service terminate the sandboxes of jobs that are unknown or finished.
 */
import { ownedSandboxesSchema, terminatedSchema } from "../protocol/sandbox-schemas";

export type JobState = "running" | "ended" | "unknown";

export interface JanitorDeps {
  serviceUrl: string;
  serviceToken: string;
  fetcher: typeof fetch;
  jobState(jobId: string): Promise<JobState>;
}

export interface SweepReport {
  checked: number;
  terminated: number;
}

/** What the janitor reads of the Worker's `Env` (structural, so this file also loads in Node tests). */
export interface JanitorEnv<Id> {
  SANDBOX_SERVICE_URL: string;
  SANDBOX_SERVICE_TOKEN: string;
  JOB_ROOM: {
    idFromName(name: string): Id;
    get(id: Id): { snapshot(): Promise<{ status: string } | null> };
  };
}

/** The janitor's dependencies from the Worker's environment; `fetcher` reaches the sandbox service. */
export function janitorDeps<Id>(env: JanitorEnv<Id>, fetcher: typeof fetch): JanitorDeps {
  return {
    serviceUrl: env.SANDBOX_SERVICE_URL,
    serviceToken: env.SANDBOX_SERVICE_TOKEN,
    fetcher,
    jobState: async (jobId) => {
      const snap = await env.JOB_ROOM.get(env.JOB_ROOM.idFromName(jobId)).snapshot();
      if (!snap) return "unknown";
      return snap.status === "running" ? "running" : "ended";
    },
  };
}

/** One sweep: terminates every sandbox whose job is unknown or has ended; resolves to counts. */
export async function sweepSandboxes(deps: JanitorDeps): Promise<SweepReport> {
  const headers = { authorization: `Bearer ${deps.serviceToken}`, "content-type": "application/json" };
  const base = deps.serviceUrl.replace(/\/+$/, "");
  const listed = await deps.fetcher(`${base}/v1/janitor`, { headers });
  if (!listed.ok) throw new Error(`sandbox janitor: listing failed with ${listed.status}`);
  const parsedList = ownedSandboxesSchema.safeParse(await listed.json());
  if (!parsedList.success) throw new Error(`sandbox janitor: malformed listing: ${parsedList.error.message}`);
  const { sandboxes } = parsedList.data;
  const jobIds = [...new Set(sandboxes.map((s) => s.jobId))];
  const states = await Promise.all(jobIds.map(async (jobId) => [jobId, await deps.jobState(jobId)] as const));
  const dead = states.filter(([, state]) => state !== "running").map(([jobId]) => jobId);
  if (dead.length === 0) return { checked: sandboxes.length, terminated: 0 };
  const swept = await deps.fetcher(`${base}/v1/janitor`, {
    method: "POST",
    headers,
    body: JSON.stringify({ jobIds: dead }),
  });
  if (!swept.ok) throw new Error(`sandbox janitor: terminating failed with ${swept.status}`);
  const parsedSwept = terminatedSchema.safeParse(await swept.json());
  if (!parsedSwept.success)
    throw new Error(`sandbox janitor: malformed answer: ${parsedSwept.error.message}`);
  const { terminated } = parsedSwept.data;
  return { checked: sandboxes.length, terminated: terminated.length };
}
