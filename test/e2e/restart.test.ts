// The Worker runtime killed mid-job and started again on its persisted state (`wrangler dev
// --persist-to`): the attempt's heartbeats stop, the JobRoom's alarm starts the next attempt, which
// resumes from the agent state the room saved at the last turn. Every command the model asked for
// runs exactly once (the one in flight at the kill is answered from its idempotency key), and a
// client reconnecting with Last-Event-ID sees every event once, in order, ending with `done`. A
// job that cannot resume, or whose runtime keeps dying, ends with a clear failure and no sandbox.
import { access, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type RunningService, startService } from "../../src/sandbox-service/app";
import { createLocalBackend } from "../../src/sandbox-service/backends/local";
import { silentLogger } from "../../src/sandbox-service/log";
import { type GitHubStandIn, startGitHubStandIn } from "../stand-ins/github";
import { type OpenAIStandIn, startOpenAIStandIn } from "../stand-ins/openai";
import type { Turn, TurnFn } from "../stand-ins/openai-script";
import { type DevWorker, devSecrets, restartVars, startDevWorker } from "./dev-process";
import { collectEvents, type ParsedEvent } from "./sse";

const secrets = devSecrets();
let root: string;
let openai: OpenAIStandIn;
let github: GitHubStandIn;
let service: RunningService;

/** Starts the sandbox service on `root` (adopting what an earlier process left there). */
async function startSandboxService(port = 0): Promise<RunningService> {
  const backend = await createLocalBackend({ root: join(root, "sandboxes") });
  return startService({
    backend,
    token: secrets.SANDBOX_SERVICE_TOKEN,
    port,
    host: "127.0.0.1",
    log: silentLogger,
  });
}
let worker: DevWorker;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "e2e-restart-"));
  openai = await startOpenAIStandIn({ apiKey: secrets.OPENAI_API_KEY });
  github = await startGitHubStandIn({ token: secrets.GITHUB_TOKEN });
  await github.createRepo("acme", "api", { "README.md": "# api\n" });
  service = await startSandboxService();
  worker = await startDevWorker(
    {
      ...restartVars(openai.url, github, service.url),
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

const bash = (command: string): Turn => ({ toolCalls: [{ name: "bash", arguments: { command } }] });
const finish = (title: string): Turn => ({
  toolCalls: [{ name: "finish", arguments: { title, summary: title } }],
});

/**
 * A script keyed by the turn the request is at (assistant messages so far), not by request count,
 * so a model call an attempt asks again gets the same reply; `asked` records each request's turn.
 */
function byTurn(replies: (Turn | "hang")[], asked: number[]): TurnFn[] {
  const reply: TurnFn = async (request) => {
    const turn = request.messages.filter((m) => m.role === "assistant").length;
    asked.push(turn);
    const r = replies[turn] ?? finish("Out of script");
    return r === "hang" ? { hang: true } : r;
  };
  return Array.from({ length: 40 }, () => reply);
}

/** Resolves once `check` holds, polling an external state change with a deadline. */
async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = 30_000) {
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

/** True once some sandbox's workspace holds `file` (the command that writes it is running). */
async function workspaceHas(file: string): Promise<boolean> {
  const dirs = await readdir(join(root, "sandboxes")).catch(() => []);
  for (const dir of dirs) {
    if (
      await access(join(root, "sandboxes", dir, "workspace", file)).then(
        () => true,
        () => false,
      )
    )
      return true;
  }
  return false;
}

async function startJob(prompt: string) {
  const response = await fetch(`${worker.url}/code`, {
    method: "POST",
    headers: { authorization: `Bearer ${secrets.CODE_API_TOKENS}`, "content-type": "application/json" },
    body: JSON.stringify({ repoUrl: "acme/api", prompt }),
  });
  expect(response.status).toBe(200);
  return { response, jobId: response.headers.get("x-job-id") };
}

/** Reconnects with Last-Event-ID after the restart and reads to `done`; returns the whole log. */
async function resume(jobId: string | null, before: ParsedEvent[]): Promise<ParsedEvent[]> {
  const resumed = await fetch(`${worker.url}/jobs/${jobId}/events`, {
    headers: { "last-event-id": String(before.at(-1)?.id ?? 0) },
  });
  const after = await collectEvents(resumed, { timeoutMs: 60_000 });
  const all = [...before, ...after.events];
  expect(all.map((e) => e.id)).toEqual(all.map((_, i) => i + 1));
  return all;
}

it("a runtime killed mid-command resumes at the saved turn, and every command runs exactly once", async () => {
  const asked: number[] = [];
  openai.setScript(
    byTurn(
      [
        bash("echo one >> log.txt"),
        bash("touch started && sleep 3 && echo two >> log.txt"),
        bash("echo three >> log.txt"),
        finish("Append three lines"),
      ],
      asked,
    ),
    "[once]",
  );
  const { response, jobId } = await startJob("[once] append three lines");
  const before = await collectEvents(response, { until: (e) => e.type === "step", timeoutMs: 30_000 });
  // The second command is running in the sandbox when the runtime dies.
  await eventually(() => workspaceHas("started"), "the second command to start");
  await worker.kill();
  await worker.start();
  const all = await resume(jobId, before.events);
  expect(all.at(-1)).toMatchObject({ type: "done", data: { status: "succeeded", usage: { steps: 3 } } });
  expect(all.filter((e) => e.type === "step").map((e) => e.data.n)).toEqual([1, 2, 3]);
  expect(all.some((e) => e.type === "status" && /attempt 2/.test(String(e.data.message)))).toBe(true);
  // Each turn's reply was asked for once: turn 2's was saved before its command ran.
  expect(asked).toEqual([0, 1, 2, 3]);
  const pull = github.pulls.at(-1);
  expect(pull?.title).toBe("Append three lines");
  expect(await github.git("acme", "api", "show", `${pull?.headSha}:log.txt`)).toBe("one\ntwo\nthree\n");
  expect(github.violations).toEqual([]);
  expect(await liveSandboxes()).toEqual([]);
}, 150_000);

it("a job that cannot resume (its sandbox is gone) ends with a clear failure and no sandbox", async () => {
  const asked: number[] = [];
  openai.setScript(byTurn([bash("echo one > one.txt"), "hang"], asked), "[lost]");
  const { response, jobId } = await startJob("[lost] add two files");
  const before = await collectEvents(response, { until: (e) => e.type === "step", timeoutMs: 30_000 });
  await eventually(() => asked.includes(1), "the hanging model call");
  await worker.kill();
  // While the runtime is down, the sandbox disappears (a host restart, say).
  for (const { id } of await liveSandboxes()) {
    await fetch(`${service.url}/v1/sandboxes/${encodeURIComponent(id)}`, {
      method: "DELETE",
      headers: serviceAuth(),
    });
  }
  await worker.start();
  const all = await resume(jobId, before.events);
  expect(all.find((e) => e.type === "error")?.data).toMatchObject({ code: "sandbox_error" });
  expect(all.at(-1)).toMatchObject({ type: "done", data: { status: "failed" } });
  expect(await liveSandboxes()).toEqual([]);
}, 150_000);

it("a job whose runtime dies on every attempt ends `stalled` after the last one, sandbox freed", async () => {
  const asked: number[] = [];
  openai.setScript(byTurn([bash("echo one > one.txt"), "hang"], asked), "[dies]");
  const { response, jobId } = await startJob("[dies] never gets there");
  const before = await collectEvents(response, { until: (e) => e.type === "step", timeoutMs: 30_000 });
  await eventually(() => asked.filter((t) => t === 1).length === 1, "attempt 1's hanging model call");
  await worker.kill();
  await worker.start();
  // Attempt 2 resumes at turn 1 and hangs there too; its runtime dies as well.
  await eventually(() => asked.filter((t) => t === 1).length === 2, "attempt 2's hanging model call", 60_000);
  await worker.kill();
  await worker.start();
  const all = await resume(jobId, before.events);
  expect(all.find((e) => e.type === "error")?.data).toMatchObject({ code: "stalled" });
  expect(String(all.find((e) => e.type === "error")?.data.message)).toMatch(/stopped 2 times/);
  expect(all.at(-1)).toMatchObject({ type: "done", data: { status: "failed" } });
  expect(await liveSandboxes()).toEqual([]);
}, 180_000);

it("the whole dev system restarted mid-job (runtime and sandbox service) ends succeeded, commands once", async () => {
  const asked: number[] = [];
  openai.setScript(
    byTurn(
      [
        bash("echo one >> log.txt"),
        bash("echo two >> log.txt"),
        "hang",
        bash("echo three >> log.txt"),
        finish("Survive a restart"),
      ],
      asked,
    ),
    "[system]",
  );
  const { response, jobId } = await startJob("[system] append lines");
  const before = await collectEvents(response, {
    until: (e) => e.type === "step" && e.data.n === 2,
    timeoutMs: 30_000,
  });
  await eventually(() => asked.includes(2), "the hanging model call");
  // Everything goes down: the runtime, then the sandbox service (keeping its sandboxes, as on SIGTERM).
  await worker.kill();
  const port = Number(new URL(service.url).port);
  await service.close({ keepSandboxes: true });
  // The model's hung call is answered once it is asked again (turn 2 was never saved).
  openai.setScript(
    byTurn(
      [
        bash("echo one >> log.txt"),
        bash("echo two >> log.txt"),
        bash("echo three >> log.txt"),
        finish("Survive a restart"),
      ],
      asked,
    ),
    "[system]",
  );
  service = await startSandboxService(port);
  expect(service.adopted).toBe(1);
  await worker.start();
  const all = await resume(jobId, before.events);
  expect(all.at(-1)).toMatchObject({ type: "done", data: { status: "succeeded", usage: { steps: 3 } } });
  const pull = github.pulls.at(-1);
  expect(pull?.title).toBe("Survive a restart");
  expect(await github.git("acme", "api", "show", `${pull?.headSha}:log.txt`)).toBe("one\ntwo\nthree\n");
  expect(await liveSandboxes()).toEqual([]);
}, 180_000);
