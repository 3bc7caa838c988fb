// Follow-ups through the API, end to end: `POST /jobs/:id/followups` on the real Worker, with the
// real sandbox service and the OpenAI and GitHub stand-ins. A follow-up is a job of its own that
// continues the PR's branch: one commit on the branch's head (a human's commit included), the ref
// moved without force, the same PR updated; a second follow-up waits for the running one.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postCode, type System, startSystem } from "./harness";
import { collectEvents, type ParsedEvent } from "./sse";

const bash = (command: string) => ({ toolCalls: [{ name: "bash", arguments: { command } }] });
const finish = (summary: string, title?: string) => ({
  toolCalls: [{ name: "finish", arguments: { ...(title ? { title } : {}), summary } }],
});

function followUp(system: System, jobId: string, body: unknown, token = system.apiToken) {
  return fetch(`${system.url}/jobs/${jobId}/followups`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function run(response: Response): Promise<ParsedEvent[]> {
  expect(response.status).toBe(200);
  const { events } = await collectEvents(response, { timeoutMs: 90_000 });
  return events;
}

const of = (events: ParsedEvent[], type: string) => events.filter((e) => e.type === type);

/** Resolves once job `jobId` has run its first step (its clone is taken by then). */
async function waitForStep(system: System, jobId: string): Promise<void> {
  const stream = await fetch(`${system.url}/jobs/${jobId}/events`);
  await collectEvents(stream, { until: (e) => e.type === "step", timeoutMs: 60_000 });
}

describe("follow-ups through the API", () => {
  let system: System;
  let first: { jobId: string; number: number; url: string; branch: string; headSha: string };
  const repo = "acme/chain";

  beforeAll(async () => {
    system = await startSystem();
    await system.github.createRepo("acme", "chain", { "README.md": "# chain\n", "src/a.txt": "a\n" });
    system.openai.setScript(
      [bash("echo one > src/one.txt"), finish("Adds one.", "Add one [chain-1]")],
      "[chain-1]",
    );
    const events = await run(await postCode(system, { repoUrl: repo, prompt: "[chain-1] add one" }));
    const pr = of(events, "pr")[0]?.data;
    expect(events.at(-1)?.data.status).toBe("succeeded");
    first = {
      jobId: String(of(events, "job")[0]?.data.jobId),
      number: Number(pr?.number),
      url: String(pr?.url),
      branch: String(pr?.branch),
      headSha: String(pr?.headSha),
    };
    expect(first.headSha).toMatch(/^[0-9a-f]{40}$/);
  }, 120_000);

  afterAll(async () => {
    await system?.close();
  });

  it("continues the same PR from its head, a human's commit included, with one new commit", async () => {
    // A human pushes to the PR's branch between the turns.
    const human = await system.github.commitFiles("acme", "chain", first.branch, { "HUMAN.md": "by hand\n" });
    system.openai.setScript(
      [
        // The human's file is in the clone the follow-up works on.
        bash("test -f HUMAN.md && echo two > src/two.txt"),
        finish("Adds two."),
      ],
      "[chain-2]",
    );
    const events = await run(await followUp(system, first.jobId, { prompt: "[chain-2] add two as well" }));
    expect(events[0]?.type).toBe("job");
    expect(events[0]?.data).toMatchObject({ followUpOf: first.jobId, pr: first.number });
    expect(events.at(-1)?.type).toBe("done");
    expect(events.at(-1)?.data.status).toBe("succeeded");
    const pr = of(events, "pr")[0]?.data;
    expect(pr).toMatchObject({ url: first.url, number: first.number, updated: true, branch: first.branch });
    const head = await system.github.git("acme", "chain", "rev-parse", `refs/heads/${first.branch}`);
    expect(pr?.headSha).toBe(head.trim());
    // One commit, on top of the human's: nothing lost, nothing forced.
    const parent = await system.github.git("acme", "chain", "rev-parse", `${head.trim()}^`);
    expect(parent.trim()).toBe(human);
    const files = await system.github.git("acme", "chain", "ls-tree", "-r", "--name-only", head.trim());
    expect(files.split("\n")).toEqual(expect.arrayContaining(["HUMAN.md", "src/one.txt", "src/two.txt"]));
    // The title stays (the follow-up did not ask to rename); the body tells both turns.
    const pull = await fetch(`${system.github.apiUrl}/repos/acme/chain/pulls/${first.number}`, {
      headers: { authorization: `token ${system.github.token}` },
    }).then((r) => r.json() as Promise<{ title: string; body: string }>);
    expect(pull.title).toBe("Add one [chain-1]");
    expect(pull.body).toContain("[chain-1] add one");
    expect(pull.body).toContain("[chain-2] add two as well");
    // The chain, from both ends.
    const second = String(events[0]?.data.jobId);
    const snapFirst = await (await fetch(`${system.url}/jobs/${first.jobId}`)).json();
    const snapSecond = await (await fetch(`${system.url}/jobs/${second}`)).json();
    expect(snapFirst).toMatchObject({ followUpOf: null, followUps: [second] });
    expect(snapSecond).toMatchObject({ followUpOf: first.jobId, followUps: [] });
    // The job pages link the turns both ways.
    const html = (id: string) => fetch(`${system.url}/jobs/${id}`, { headers: { accept: "text/html" } });
    expect(await (await html(first.jobId)).text()).toContain(`href="/jobs/${second}"`);
    expect(await (await html(second)).text()).toContain(`href="/jobs/${first.jobId}"`);
    // The agent was told the earlier turn and saw the PR's diff.
    const request = system.openai.requests.find((r) =>
      JSON.stringify(r.messages).includes("[chain-2] add two as well"),
    );
    const system0 = JSON.stringify(request?.messages[0]);
    expect(system0).toContain("[chain-1] add one");
    expect(system0).toContain("src/one.txt");
    first.headSha = head.trim();
  }, 120_000);

  it("ends succeeded without a commit when the follow-up changed nothing", async () => {
    system.openai.setScript([bash("true"), finish("Nothing to do.")], "[chain-noop]");
    const events = await run(await followUp(system, first.jobId, { prompt: "[chain-noop] check it" }));
    expect(events.at(-1)?.data).toMatchObject({ status: "succeeded", prUrl: first.url });
    expect(of(events, "pr")).toHaveLength(0);
    expect(of(events, "status").map((e) => e.data.message)).toContainEqual(
      expect.stringContaining("No file changed"),
    );
    const head = await system.github.git("acme", "chain", "rev-parse", `refs/heads/${first.branch}`);
    expect(head.trim()).toBe(first.headSha);
  }, 120_000);

  it("queues a follow-up behind the running one and runs both, in order", async () => {
    const { promise: held, resolve: release } = Promise.withResolvers<void>();
    system.openai.setScript(
      [
        async () => {
          await held;
          return bash("echo three > src/three.txt");
        },
        finish("Adds three."),
      ],
      "[chain-3]",
    );
    system.openai.setScript([bash("echo four > src/four.txt"), finish("Adds four.")], "[chain-4]");
    const third = await followUp(system, first.jobId, { prompt: "[chain-3] add three" });
    const thirdId = third.headers.get("x-job-id") ?? "";
    const fourth = await followUp(system, first.jobId, { prompt: "[chain-4] add four" });
    // The fourth waits, saying why, while the third's model call is held.
    const watch = await fetch(`${system.url}/jobs/${fourth.headers.get("x-job-id")}/events`);
    const waiting = await collectEvents(watch, {
      until: (e) => e.type === "status" && /waiting for the previous turn/i.test(String(e.data.message)),
    });
    expect(waiting.events.map((e) => e.type)).not.toContain("step");
    release();
    const fourthEvents = collectEvents(fourth, { timeoutMs: 90_000 });
    const thirdEvents = await run(third);
    const { events } = await fourthEvents;
    expect(thirdEvents.at(-1)?.data.status).toBe("succeeded");
    expect(events.at(-1)?.data.status).toBe("succeeded");
    expect(events[0]?.data.followUpOf).toBe(thirdId);
    const queued = of(events, "status").filter((e) => e.data.phase === "queued");
    expect(queued.map((e) => e.data.message)).toContainEqual(
      expect.stringMatching(/waiting for the previous turn/i),
    );
    // The fourth started only after the third ended: its clone has the third's file.
    const head = await system.github.git("acme", "chain", "rev-parse", `refs/heads/${first.branch}`);
    const files = await system.github.git("acme", "chain", "ls-tree", "-r", "--name-only", head.trim());
    expect(files.split("\n")).toEqual(expect.arrayContaining(["src/three.txt", "src/four.txt"]));
    const parent = await system.github.git("acme", "chain", "rev-parse", `${head.trim()}^`);
    expect(parent.trim()).toBe(of(thirdEvents, "pr")[0]?.data.headSha);
  }, 180_000);

  it("puts the commit on a head pushed while the turn ran, or pushes nothing when the same file changed", async () => {
    const gate = () => {
      const { promise: opened, resolve: open } = Promise.withResolvers<void>();
      return { open, opened };
    };
    // Another file: the turn's change goes on top of the human's push, which is kept.
    const other = gate();
    system.openai.setScript(
      [
        bash("echo five > src/five.txt"),
        async () => {
          await other.opened;
          return finish("Adds five.");
        },
      ],
      "[chain-5]",
    );
    const fifth = await followUp(system, first.jobId, { prompt: "[chain-5] add five" });
    await waitForStep(system, String(fifth.headers.get("x-job-id")));
    const human = await system.github.pushCommit(
      "acme",
      "chain",
      first.branch,
      { "NOTES.md": "meanwhile\n" },
      "Notes",
    );
    other.open();
    const events = await run(fifth);
    expect(events.at(-1)?.data.status).toBe("succeeded");
    expect(of(events, "status").map((e) => e.data.message)).toContainEqual(expect.stringContaining("moved"));
    const head = (await system.github.git("acme", "chain", "rev-parse", `refs/heads/${first.branch}`)).trim();
    expect(of(events, "pr")[0]?.data.headSha).toBe(head);
    expect((await system.github.git("acme", "chain", "rev-parse", `${head}^`)).trim()).toBe(human);
    const files = await system.github.git("acme", "chain", "ls-tree", "-r", "--name-only", head);
    expect(files.split("\n")).toEqual(expect.arrayContaining(["NOTES.md", "src/five.txt"]));

    // The same file: nothing is pushed, the human's commit stays the head, and the job says why.
    const same = gate();
    system.openai.setScript(
      [
        bash("echo mine > NOTES.md"),
        async () => {
          await same.opened;
          return finish("Rewrites the notes.");
        },
      ],
      "[chain-6]",
    );
    const sixth = await followUp(system, first.jobId, { prompt: "[chain-6] rewrite the notes" });
    await waitForStep(system, String(sixth.headers.get("x-job-id")));
    const theirs = await system.github.pushCommit(
      "acme",
      "chain",
      first.branch,
      { "NOTES.md": "theirs\n" },
      "Theirs",
    );
    same.open();
    const failed = await run(sixth);
    expect(failed.at(-1)?.data.status).toBe("failed");
    expect(of(failed, "error")[0]?.data).toMatchObject({ code: "branch_moved" });
    expect(String(of(failed, "error")[0]?.data.message)).toContain("NOTES.md");
    const after = (
      await system.github.git("acme", "chain", "rev-parse", `refs/heads/${first.branch}`)
    ).trim();
    expect(after).toBe(theirs);
  }, 180_000);

  it("refuses another tenant (404), an unknown job (404) and a job without a PR (409)", async () => {
    const secondToken = ((system.secrets.CODE_API_TOKENS ?? "").split(",")[1] ?? "").split(":").at(-1) ?? "";
    const other = await followUp(system, first.jobId, { prompt: "take over" }, secondToken);
    expect(other.status).toBe(404);
    expect(other.headers.get("content-type")).toContain("application/problem+json");
    const unknown = await followUp(system, crypto.randomUUID(), { prompt: "hello" });
    expect(unknown.status).toBe(404);
    system.openai.setScript([finish("Nothing.", "Nothing")], "[chain-none]");
    const none = await run(await postCode(system, { repoUrl: repo, prompt: "[chain-none] do nothing" }));
    const noPr = await followUp(system, String(none[0]?.data.jobId), { prompt: "now do it" });
    expect(noPr.status).toBe(409);
    expect(((await noPr.json()) as { detail: string }).detail).toMatch(/no pull request/i);
    const blank = await followUp(system, first.jobId, { prompt: "  " });
    expect(blank.status).toBe(400);
  }, 120_000);

  it("refuses a follow-up of a closed PR with 409", async () => {
    await system.github.closePull("acme", "chain", first.number, { merged: false });
    const closed = await followUp(system, first.jobId, { prompt: "more" });
    expect(closed.status).toBe(409);
    expect(((await closed.json()) as { detail: string }).detail).toMatch(/closed/);
  });
});
