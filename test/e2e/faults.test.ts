// Faults at the vendors' wire, through the whole system: the sandbox service dropping out mid-job
// (back once the step's retry has begun: the job resumes; away until the step gave up: a clear
// failure, and the sandbox is still terminated once the service is reachable), and the model API
// answering 429 and 500 (retried with backoff by the SDK and the durable steps, then a clear
// failure). Outages end on what the Worker does, so they hold under any retry schedule or load.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalBackend } from "../../src/sandbox-service/backends/local";
import type { Turn } from "../stand-ins/openai-script";
import { type FlakyService, type Refusal, startFlakyService } from "./flaky-service";
import { postCode, type System, startSystem } from "./harness";
import { collectEvents, type ParsedEvent } from "./sse";

const TOKEN = "sbx-flaky-0123456789abcdef";
let system: System;
let flaky: FlakyService;
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "e2e-flaky-"));
  flaky = await startFlakyService(await createLocalBackend({ root }), TOKEN);
  system = await startSystem({
    vars: { SANDBOX_SERVICE_URL: flaky.url },
    secretsOverride: { SANDBOX_SERVICE_TOKEN: TOKEN },
  });
  await system.github.createRepo("acme", "api", { "README.md": "# api\n" });
});
afterAll(async () => {
  await system?.close();
  await flaky?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

const bash = (command: string): Turn => ({ toolCalls: [{ name: "bash", arguments: { command } }] });
const finish: Turn = {
  toolCalls: [{ name: "finish", arguments: { title: "Add files", summary: "Adds them." } }],
};

async function run(
  marker: string,
  script: Parameters<System["openai"]["setScript"]>[0],
): Promise<ParsedEvent[]> {
  system.openai.setScript(script, marker);
  const response = await postCode(system, { repoUrl: "acme/api", prompt: `${marker} add files` });
  expect(response.status).toBe(200);
  return (await collectEvents(response, { timeoutMs: 120_000 })).events;
}

async function sandboxes(): Promise<unknown[]> {
  const list = await fetch(`${flaky.url}/v1/sandboxes`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return ((await list.json()) as { sandboxes: unknown[] }).sandboxes;
}

const isExec = (r: Refusal) => r.method === "POST" && r.path.endsWith("/exec");
const isTerminate = (r: Refusal) => r.method === "DELETE" && r.path.startsWith("/v1/sandboxes/");

describe("the sandbox service drops out mid-job", () => {
  it("resumes when the service is back before the step's retries run out", async () => {
    const events = await run("[outage-short]", [
      bash("echo one > one.txt"),
      async () => {
        flaky.down();
        // Back as soon as the step's first attempt has been refused: its retry finds the service.
        void flaky.whenRefused(isExec).then(() => flaky.up());
        return bash("echo two > two.txt");
      },
      finish,
    ]);
    expect(events.at(-1)).toMatchObject({ type: "done", data: { status: "succeeded", usage: { steps: 2 } } });
    expect(flaky.refused.filter(isExec)).toHaveLength(1);
    const head = system.github.pulls.at(-1)?.head ?? "";
    expect(await system.github.git("acme", "api", "show", `refs/heads/${head}:two.txt`)).toBe("two\n");
    // The sandbox goes before `done`.
    expect(await sandboxes()).toEqual([]);
  });

  it("fails with a clear error when it stays away, and the sandbox is still terminated", async () => {
    // Away through every attempt of the exec step, back once the cleanup step's first terminate has
    // been refused: its retry finds the service.
    const events = await run("[outage-long]", [
      bash("echo one > one.txt"),
      async () => {
        flaky.down();
        void flaky.whenRefused(isTerminate).then(() => flaky.up());
        return bash("echo two > two.txt");
      },
      finish,
    ]);
    expect(events.find((e) => e.type === "error")?.data).toMatchObject({ code: "sandbox_error" });
    expect(String(events.find((e) => e.type === "error")?.data.message)).toMatch(
      /sandbox service kept failing/i,
    );
    expect(events.at(-1)).toMatchObject({ type: "done", data: { status: "failed" } });
    // The exec was retried before the step gave up, and only then did the cleanup begin.
    const order = flaky.refused.filter((r) => isExec(r) || isTerminate(r)).map((r) => r.method);
    expect(order.length).toBeGreaterThan(2);
    expect(order.at(-1)).toBe("DELETE");
    expect(order.slice(0, -1).every((m) => m === "POST")).toBe(true);
    expect(await sandboxes()).toEqual([]);
  }, 150_000);
});

describe("the model API fails", () => {
  it("429 and 500 are retried with backoff and the job goes on", async () => {
    const before = system.openai.requests.length;
    const events = await run("[model-flaky]", [
      { status: 429, retryAfter: 0 },
      { status: 500 },
      bash("echo three > three.txt"),
      { status: 503 },
      finish,
    ]);
    expect(events.at(-1)).toMatchObject({ type: "done", data: { status: "succeeded" } });
    expect(system.openai.requests.length - before).toBe(5);
  });

  it("a model that keeps failing ends the job with a clear error", async () => {
    const events = await run(
      "[model-down]",
      Array.from({ length: 40 }, (): Turn => ({ status: 500 })),
    );
    expect(events.find((e) => e.type === "error")?.data).toMatchObject({ code: "model_error" });
    expect(String(events.find((e) => e.type === "error")?.data.message)).toMatch(/model API kept failing/i);
    expect(events.at(-1)).toMatchObject({ type: "done", data: { status: "failed" } });
    expect(await sandboxes()).toEqual([]);
  }, 120_000);
});
