// Liveness by heartbeat through the real Worker: a model call that takes several stall windows
// (JOB_STALL_SECONDS) is never mistaken for a dead runtime, because the attempt heartbeats while
// it waits. The job ends succeeded with one attempt and one request per turn. (A runtime that
// really dies, and the last attempt ending the job, are in restart.test.ts.)
import { afterAll, beforeAll, expect, it } from "vitest";
import type { TurnFn } from "../stand-ins/openai-script";
import { postCode, type System, startSystem } from "./harness";
import { collectEvents } from "./sse";

let system: System;
beforeAll(async () => {
  system = await startSystem({
    vars: { JOB_HEARTBEAT_SECONDS: "0.5", JOB_STALL_SECONDS: "2", JOB_MAX_ATTEMPTS: "2" },
  });
  await system.github.createRepo("acme", "api", { "README.md": "# api\n" });
});
afterAll(async () => {
  await system?.close();
});

it("a model call three stall windows long gets no second attempt", async () => {
  let release: () => void = () => {};
  const released = new Promise<void>((r) => {
    release = r;
  });
  let slowCalls = 0;
  const slow: TurnFn = async () => {
    slowCalls += 1;
    await released;
    return { toolCalls: [{ name: "bash", arguments: { command: "echo slow > slow.txt" } }] };
  };
  system.openai.setScript(
    [slow, { toolCalls: [{ name: "finish", arguments: { title: "Slow", summary: "A slow model." } }] }],
    "[slow]",
  );
  const response = await postCode(system, { repoUrl: "acme/api", prompt: "[slow] take your time" });
  expect(response.status).toBe(200);
  const jobId = response.headers.get("x-job-id");
  // Three stall windows pass while the model call is open (wall-clock time is what this tests);
  // the room sees heartbeats, not silence, and starts no second attempt.
  await new Promise((r) => setTimeout(r, 6_000));
  const snap = (await (await fetch(`${system.url}/jobs/${jobId}`)).json()) as { status: string };
  release();
  const { events } = await collectEvents(response, { timeoutMs: 30_000 });
  expect(snap.status).toBe("running");
  expect(events.at(-1)).toMatchObject({ type: "done", data: { status: "succeeded" } });
  expect(events.some((e) => e.type === "status" && /attempt 2/.test(String(e.data.message)))).toBe(false);
  expect(slowCalls).toBe(1);
  expect(system.openai.requests.filter((r) => JSON.stringify(r.messages).includes("[slow]"))).toHaveLength(2);
});
