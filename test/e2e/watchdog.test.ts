// The JobRoom watchdog through the real Worker, with a stall window of seconds (JOB_STALL_SECONDS):
// a job whose model never answers gets a second Workflow attempt, and when that one makes no
// progress either, the job ends `stalled` with its sandbox terminated.
import { afterAll, beforeAll, expect, it } from "vitest";
import { postCode, type System, startSystem } from "./harness";
import { collectEvents } from "./sse";

let system: System;
beforeAll(async () => {
  system = await startSystem({ vars: { JOB_STALL_SECONDS: "3", JOB_MAX_ATTEMPTS: "2" } });
  await system.github.createRepo("acme", "api", { "README.md": "# api\n" });
});
afterAll(async () => {
  await system?.close();
});

it("re-drives a job that makes no progress, then ends it with a clear failure", async () => {
  system.openai.setScript([{ hang: true }, { hang: true }], "[stall]");
  const response = await postCode(system, { repoUrl: "acme/api", prompt: "[stall] wait forever" });
  expect(response.status).toBe(200);
  const { events } = await collectEvents(response, { timeoutMs: 30_000 });
  expect(events.filter((e) => e.type === "status").map((e) => e.data.message)).toContainEqual(
    expect.stringMatching(/No progress for 3 s; resuming the job \(attempt 2\)/),
  );
  expect(events.find((e) => e.type === "error")?.data).toMatchObject({ code: "stalled" });
  expect(String(events.find((e) => e.type === "error")?.data.message)).toMatch(/no progress for 3 seconds/);
  expect(events.at(-1)).toMatchObject({ type: "done", data: { status: "failed" } });
  // Each attempt asks the model at most once: the second replays what the first finished. (On a
  // loaded machine the first attempt may stall before its model call, so there may be only one.)
  expect(system.openai.requests.length).toBeGreaterThanOrEqual(1);
  expect(system.openai.requests.length).toBeLessThanOrEqual(2);
  const list = await fetch(`${system.service.url}/v1/sandboxes`, {
    headers: { authorization: `Bearer ${system.secrets.SANDBOX_SERVICE_TOKEN}` },
  });
  expect(((await list.json()) as { sandboxes: unknown[] }).sandboxes).toEqual([]);
});
