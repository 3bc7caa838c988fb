// The Worker runtime killed mid-job and started again on its persisted state (`wrangler dev
// --persist-to`): the JobRoom's watchdog alarm re-drives the job with a new Workflow attempt that
// resumes from the room's checkpoints, and a client reconnecting with Last-Event-ID sees every
// event exactly once, in order, ending with `done`; a job that cannot resume ends with a clear failure.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type RunningService, startService } from "../../src/sandbox-service/app";
import { createLocalBackend } from "../../src/sandbox-service/backends/local";
import { silentLogger } from "../../src/sandbox-service/log";
import { type GitHubStandIn, startGitHubStandIn } from "../stand-ins/github";
import { type OpenAIStandIn, startOpenAIStandIn } from "../stand-ins/openai";
import { type DevWorker, startDevWorker } from "./dev-process";
import { collectEvents, type ParsedEvent } from "./sse";

const secret = (prefix: string) => `${prefix}-${randomBytes(12).toString("hex")}`;
const secrets = {
  OPENAI_API_KEY: secret("sk-test"),
  GITHUB_TOKEN: secret("ghp_test"),
  SANDBOX_SERVICE_TOKEN: secret("sbx"),
  CODE_API_TOKENS: secret("api"),
  SLACK_BOT_TOKEN: secret("xoxb"),
  SLACK_SIGNING_SECRET: secret("sign"),
};
let root: string;
let openai: OpenAIStandIn;
let github: GitHubStandIn;
let service: RunningService;
let worker: DevWorker;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "e2e-restart-"));
  openai = await startOpenAIStandIn({ apiKey: secrets.OPENAI_API_KEY });
  github = await startGitHubStandIn({ token: secrets.GITHUB_TOKEN });
  await github.createRepo("acme", "api", { "README.md": "# api\n" });
  const backend = await createLocalBackend({ root: join(root, "sandboxes") });
  service = await startService({
    backend,
    token: secrets.SANDBOX_SERVICE_TOKEN,
    port: 0,
    host: "127.0.0.1",
    log: silentLogger,
  });
  worker = await startDevWorker(
    {
      OPENAI_BASE_URL: openai.url,
      OPENAI_MODEL: "scripted-model",
      GITHUB_API_URL: github.apiUrl,
      GITHUB_URL: github.webUrl,
      SLACK_API_URL: "http://127.0.0.1:9/api/",
      SANDBOX_SERVICE_URL: service.url,
      GITHUB_WRITE_INTERVAL_MS: "0",
      JOB_STALL_SECONDS: "6",
    },
    secrets,
  );
});
afterAll(async () => {
  await worker?.close();
  await service?.close();
  await openai?.close();
  await github?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

const bash = (command: string) => ({ toolCalls: [{ name: "bash", arguments: { command } }] });

/** Resolves once `check` holds, polling an external state change with a deadline. */
async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100)); // the condition lives in another process
  }
}

const serviceAuth = () => ({ authorization: `Bearer ${secrets.SANDBOX_SERVICE_TOKEN}` });

async function liveSandboxes(): Promise<{ id: string }[]> {
  const list = await fetch(`${service.url}/v1/sandboxes`, { headers: serviceAuth() });
  return ((await list.json()) as { sandboxes: { id: string }[] }).sandboxes;
}

/** Starts a job, reads it up to its first step, waits for its hanging model call, kills the runtime. */
async function startThenKill(prompt: string) {
  const response = await fetch(`${worker.url}/code`, {
    method: "POST",
    headers: { authorization: `Bearer ${secrets.CODE_API_TOKENS}`, "content-type": "application/json" },
    body: JSON.stringify({ repoUrl: "acme/api", prompt }),
  });
  expect(response.status).toBe(200);
  const jobId = response.headers.get("x-job-id");
  const calls = openai.requests.length;
  const before = await collectEvents(response, { until: (e) => e.type === "step", timeoutMs: 30_000 });
  await eventually(() => openai.requests.length >= calls + 2, "the hanging model call");
  await worker.kill();
  return { jobId, before: before.events };
}

/** Reconnects with Last-Event-ID after the restart and reads to `done`; returns the whole log. */
async function resume(jobId: string | null, before: ParsedEvent[]): Promise<ParsedEvent[]> {
  const resumed = await fetch(`${worker.url}/jobs/${jobId}/events`, {
    headers: { "last-event-id": String(before.at(-1)?.id ?? 0) },
  });
  const after = await collectEvents(resumed, { timeoutMs: 50_000 });
  const all = [...before, ...after.events];
  expect(all.map((e) => e.id)).toEqual(all.map((_, i) => i + 1));
  return all;
}

it("a job interrupted by a runtime restart resumes and every event arrives once", async () => {
  openai.setScript([
    bash("echo one > one.txt"),
    { hang: true },
    bash("echo two > two.txt"),
    { toolCalls: [{ name: "finish", arguments: { title: "Add files", summary: "one and two" } }] },
  ]);
  const { jobId, before } = await startThenKill("add two files");
  await worker.start();
  const all = await resume(jobId, before);
  expect(all.at(-1)).toMatchObject({ type: "done", data: { status: "succeeded", usage: { steps: 2 } } });
  expect(all.filter((e) => e.type === "step").map((e) => e.data.n)).toEqual([1, 2]);
  expect(all.some((e) => e.type === "status" && /attempt 2/.test(String(e.data.message)))).toBe(true);
  const pull = github.pulls.at(-1);
  expect(pull?.title).toBe("Add files");
  const tree = await github.git("acme", "api", "ls-tree", "--name-only", pull?.headSha ?? "HEAD");
  expect(String(tree).split("\n")).toEqual(expect.arrayContaining(["one.txt", "two.txt"]));
  expect(github.violations).toEqual([]);
  expect(await liveSandboxes()).toEqual([]);
}, 120_000);

it("a job that cannot resume (its sandbox is gone) ends with a clear failure and no sandbox", async () => {
  openai.setScript(
    [
      bash("echo one > one.txt"),
      { hang: true },
      bash("echo two > two.txt"),
      { toolCalls: [{ name: "finish", arguments: { title: "Never", summary: "Never published." } }] },
    ],
    "[lost]",
  );
  const { jobId, before } = await startThenKill("[lost] add two files");
  // While the runtime is down, the sandbox disappears (a host restart, say).
  for (const { id } of await liveSandboxes()) {
    await fetch(`${service.url}/v1/sandboxes/${id}`, { method: "DELETE", headers: serviceAuth() });
  }
  await worker.start();
  const all = await resume(jobId, before);
  expect(all.find((e) => e.type === "error")?.data).toMatchObject({ code: "sandbox_error" });
  expect(all.at(-1)).toMatchObject({ type: "done", data: { status: "failed" } });
  expect(await liveSandboxes()).toEqual([]);
}, 120_000);
