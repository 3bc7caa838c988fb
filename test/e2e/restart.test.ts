// The Worker runtime killed mid-job and started again on its persisted state (`wrangler dev
// --persist-to`): the JobRoom's watchdog alarm re-drives the job with a new Workflow attempt that
// resumes from the room's checkpoints, and a client reconnecting with Last-Event-ID sees every
// event exactly once, in order, ending with `done`.
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

it("a job interrupted by a runtime restart resumes and every event arrives once", async () => {
  openai.setScript([
    bash("echo one > one.txt"),
    { hang: true },
    bash("echo two > two.txt"),
    { toolCalls: [{ name: "finish", arguments: { title: "Add files", summary: "one and two" } }] },
  ]);
  const response = await fetch(`${worker.url}/code`, {
    method: "POST",
    headers: { authorization: `Bearer ${secrets.CODE_API_TOKENS}`, "content-type": "application/json" },
    body: JSON.stringify({ repoUrl: "acme/api", prompt: "add two files" }),
  });
  expect(response.status).toBe(200);
  const jobId = response.headers.get("x-job-id");
  const before = await collectEvents(response, { until: (e) => e.type === "step", timeoutMs: 30_000 });
  await eventually(() => openai.requests.length >= 2, "the hanging model call");
  await worker.kill();

  await worker.start();
  const lastSeen = before.events.at(-1)?.id ?? 0;
  const resumed = await fetch(`${worker.url}/jobs/${jobId}/events`, {
    headers: { "last-event-id": String(lastSeen) },
  });
  const after = await collectEvents(resumed, { timeoutMs: 50_000 });
  const all: ParsedEvent[] = [...before.events, ...after.events];
  expect(all.map((e) => e.id)).toEqual(all.map((_, i) => i + 1));
  expect(all.at(-1)).toMatchObject({ type: "done", data: { status: "succeeded", usage: { steps: 2 } } });
  expect(all.filter((e) => e.type === "step").map((e) => e.data.n)).toEqual([1, 2]);
  expect(all.some((e) => e.type === "status" && /attempt 2/.test(String(e.data.message)))).toBe(true);
  const pull = github.pulls.at(-1);
  expect(pull?.title).toBe("Add files");
  const tree = await github.git("acme", "api", "ls-tree", "--name-only", pull?.headSha ?? "HEAD");
  expect(String(tree).split("\n")).toEqual(expect.arrayContaining(["one.txt", "two.txt"]));
  expect(github.violations).toEqual([]);
  const list = await fetch(`${service.url}/v1/sandboxes`, {
    headers: { authorization: `Bearer ${secrets.SANDBOX_SERVICE_TOKEN}` },
  });
  expect(((await list.json()) as { sandboxes: unknown[] }).sandboxes).toEqual([]);
}, 120_000);
