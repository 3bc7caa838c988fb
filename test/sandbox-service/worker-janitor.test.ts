// The Worker's janitor sweep (src/worker/janitor.ts) against the real sandbox service: sandboxes of
// running jobs stay, those of finished or unknown jobs are terminated. Job states come from a table
// standing in for the JobRooms, which only workerd can host.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SandboxInfo } from "../../src/protocol/sandbox";
import { type JobState, sweepSandboxes } from "../../src/worker/janitor";
import { type Harness, startHarness } from "./harness";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe("worker janitor sweep", () => {
  it("terminates the sandboxes of ended and unknown jobs and keeps running ones", async () => {
    const make = async (jobId: string) =>
      (await h.call<SandboxInfo>("POST", "/v1/sandboxes", { jobId })).body;
    const running = await make("job-running");
    const ended = await make("job-ended");
    const unknown = await make("job-unknown");
    const states: Record<string, JobState> = { "job-running": "running", "job-ended": "ended" };
    const report = await sweepSandboxes({
      serviceUrl: `${h.url}/`,
      serviceToken: h.token,
      fetcher: (input, init) => fetch(input, init),
      jobState: async (jobId) => states[jobId] ?? "unknown",
    });
    expect(report).toEqual({ checked: 3, terminated: 2 });
    expect((await h.call("GET", `/v1/sandboxes/${running.id}`)).status).toBe(200);
    expect((await h.call("GET", `/v1/sandboxes/${ended.id}`)).status).toBe(404);
    expect((await h.call("GET", `/v1/sandboxes/${unknown.id}`)).status).toBe(404);
  });

  it("fails loudly when the service refuses it", async () => {
    const sweep = sweepSandboxes({
      serviceUrl: h.url,
      serviceToken: "wrong",
      fetcher: (input, init) => fetch(input, init),
      jobState: async () => "unknown",
    });
    await expect(sweep).rejects.toThrow(/401/);
  });
});
