// The Worker runtime killed mid-setup (`wrangler dev --persist-to`, killed and started again): the
// JobRoom's next attempt finds the clone saved and the setup phase not ended, runs the phase again
// under the same idempotency keys, and so waits for the command the dead attempt started instead
// of running it twice; the agent then works in the set-up environment.
import { access, mkdtemp, readdir, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type RunningService, startService } from "../../src/sandbox-service/app";
import { createLocalBackend } from "../../src/sandbox-service/backends/local";
import { silentLogger } from "../../src/sandbox-service/log";
import { type GitHubStandIn, startGitHubStandIn } from "../stand-ins/github";
import { type OpenAIStandIn, startOpenAIStandIn } from "../stand-ins/openai";
import type { Turn } from "../stand-ins/openai-script";
import { type DevWorker, devSecrets, restartVars, startDevWorker } from "./dev-process";
import { collectEvents, type ParsedEvent } from "./sse";

const secrets = devSecrets();
let root: string;
let openai: OpenAIStandIn;
let github: GitHubStandIn;
let service: RunningService;
let worker: DevWorker;
let fixture: Server;
let fixtureUrl = "";
let fixtureHits = 0;
const { promise: released, resolve: release } = Promise.withResolvers<void>();

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "e2e-env-restart-"));
  fixture = createServer(async (_req, res) => {
    fixtureHits += 1;
    await released;
    res.end("fixture-ok\n");
  });
  await new Promise<void>((resolve) => fixture.listen(0, "127.0.0.1", resolve));
  fixtureUrl = `http://127.0.0.1:${(fixture.address() as AddressInfo).port}`;
  openai = await startOpenAIStandIn({ apiKey: secrets.OPENAI_API_KEY });
  github = await startGitHubStandIn({ token: secrets.GITHUB_TOKEN });
  await github.createRepo("acme", "envr", {
    "README.md": "# envr\n",
    ".gitignore": ".started\n.fetched\n.setup-log\n",
    ".devcontainer/devcontainer.json": JSON.stringify({
      onCreateCommand: `touch .started && curl -fsS ${fixtureUrl}/slow -o .fetched && echo on-create >> .setup-log`,
      postCreateCommand: "echo post-create >> .setup-log",
    }),
  });
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
      ...restartVars(openai.url, github, service.url),
      SETUP_TIMEOUT_SECONDS: "120",
    },
    secrets,
  );
}, 180_000);

afterAll(async () => {
  release();
  await worker?.close();
  await service?.close();
  await openai?.close();
  await github?.close();
  await new Promise((resolve) => fixture?.close(resolve));
  if (root) await rm(root, { recursive: true, force: true });
});

const bash = (command: string): Turn => ({ toolCalls: [{ name: "bash", arguments: { command } }] });

/** Resolves once `check` holds, polling an external state change with a deadline. */
async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100)); // the condition lives in another process
  }
}

/** True once some sandbox's workspace holds `file` (the setup command that writes it is running). */
async function workspaceHas(file: string): Promise<boolean> {
  const dirs = await readdir(join(root, "sandboxes")).catch(() => []);
  for (const dir of dirs) {
    const found = await access(join(root, "sandboxes", dir, "workspace", file)).then(
      () => true,
      () => false,
    );
    if (found) return true;
  }
  return false;
}

it("a runtime killed mid-setup resumes the phase, and its command runs exactly once", async () => {
  openai.setScript(
    [
      bash("cat .setup-log .fetched"),
      bash("echo resumed >> README.md"),
      { toolCalls: [{ name: "finish", arguments: { title: "Resume", summary: "Resumed." } }] },
    ],
    "[env-restart]",
  );
  const response = await fetch(`${worker.url}/code`, {
    method: "POST",
    headers: { authorization: `Bearer ${secrets.CODE_API_TOKENS}`, "content-type": "application/json" },
    body: JSON.stringify({ repoUrl: "acme/envr", prompt: "[env-restart] touch the readme" }),
  });
  expect(response.status).toBe(200);
  const jobId = response.headers.get("x-job-id");
  const before = await collectEvents(response, {
    until: (e) => e.type === "status" && e.data.phase === "setting-up",
    timeoutMs: 30_000,
  });
  // onCreateCommand is running in the sandbox, waiting on the fixture, when the runtime dies.
  await eventually(() => workspaceHas(".started"), "the setup command to start");
  await worker.kill();
  await worker.start();
  release();
  const resumed = await fetch(`${worker.url}/jobs/${jobId}/events`, {
    headers: { "last-event-id": String(before.events.at(-1)?.id ?? 0) },
  });
  const all: ParsedEvent[] = [
    ...before.events,
    ...(await collectEvents(resumed, { timeoutMs: 90_000 })).events,
  ];
  expect(all.map((e) => e.id)).toEqual(all.map((_, i) => i + 1));
  expect(all.at(-1)).toMatchObject({ type: "done", data: { status: "succeeded" } });
  expect(all.some((e) => e.type === "status" && /attempt 2/.test(String(e.data.message)))).toBe(true);
  const setup = all.filter((e) => e.type === "step" && e.data.tool === "setup").map((e) => e.data);
  expect(setup.map((s) => [s.n, s.exitCode])).toEqual([
    [1, 0],
    [2, 0],
  ]);
  // The dead attempt's command finished once, and the new attempt was answered with its result.
  expect(fixtureHits).toBe(1);
  const agent = all.filter((e) => e.type === "step" && e.data.tool !== "setup").map((e) => e.data);
  expect(agent[0]?.output).toBe("on-create\npost-create\nfixture-ok\n");
  const phases = all.filter((e) => e.type === "status").map((e) => e.data.phase);
  expect(phases.indexOf("working")).toBeGreaterThan(phases.lastIndexOf("setting-up"));
  expect(github.violations).toEqual([]);
}, 180_000);
