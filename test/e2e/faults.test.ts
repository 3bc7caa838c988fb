// Faults at the vendors' wire, through the whole system: the sandbox service dropping out mid-job
// (back within the step retry window: the job resumes; gone for good: a clear failure, and the
// sandbox is still terminated once the service is reachable), and the model API answering 429 and
// 500 (retried with backoff by the SDK and the durable steps, then a clear failure).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalBackend } from "../../src/sandbox-service/backends/local";
import type { Turn } from "../stand-ins/openai-script";
import { type FlakyService, startFlakyService } from "./flaky-service";
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

/** Polls the service (another process's state) until no sandbox is left, or the deadline passes. */
async function noSandboxLeft(ms: number): Promise<unknown[]> {
  const deadline = Date.now() + ms;
  let left = await sandboxes();
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250)); // the cleanup step retries on its own schedule
    left = await sandboxes();
  }
  return left;
}

describe("the sandbox service drops out mid-job", () => {
  it("resumes when the service is back within the step retry window", async () => {
    const events = await run("[outage-short]", [
      bash("echo one > one.txt"),
      async () => {
        await flaky.down();
        // The outage lasts a few seconds: shorter than the steps' 1+2+4+8 s of retries.
        setTimeout(() => void flaky.up(), 2_500);
        return bash("echo two > two.txt");
      },
      finish,
    ]);
    expect(events.at(-1)).toMatchObject({ type: "done", data: { status: "succeeded", usage: { steps: 2 } } });
    const head = system.github.pulls.at(-1)?.head ?? "";
    expect(await system.github.git("acme", "api", "show", `refs/heads/${head}:two.txt`)).toBe("two\n");
    expect(await noSandboxLeft(10_000)).toEqual([]);
  });

  it("fails with a clear error when it stays away, and the sandbox is still terminated", async () => {
    // Away for longer than the exec step's retries (1+2+4+8 s), back within the cleanup step's
    // (2+4+8+16+32 s), whether the job cleans up before or after it ends.
    let back: Promise<void> = Promise.resolve();
    const events = await run("[outage-long]", [
      bash("echo one > one.txt"),
      async () => {
        await flaky.down();
        back = new Promise((resolve) => setTimeout(resolve, 25_000)).then(() => flaky.up());
        return bash("echo two > two.txt");
      },
      finish,
    ]);
    expect(events.find((e) => e.type === "error")?.data).toMatchObject({ code: "sandbox_error" });
    expect(String(events.find((e) => e.type === "error")?.data.message)).toMatch(
      /sandbox service kept failing/i,
    );
    expect(events.at(-1)).toMatchObject({ type: "done", data: { status: "failed" } });
    await back;
    expect(await noSandboxLeft(60_000)).toEqual([]);
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
    expect(await noSandboxLeft(10_000)).toEqual([]);
  }, 120_000);
});
