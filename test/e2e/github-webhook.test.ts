// POST /github/webhook end to end: the real Worker on workerd, deliveries built from the GitHub
// stand-in's own objects (checked against @octokit/webhooks-schemas before they are sent), signed
// with the webhook secret. The front door: signatures, events it ignores, who may ask, PRs it does
// not know. Then follow-ups from a PR comment and from a review, answered on the PR.
import { randomBytes } from "node:crypto";
import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type WebhookSender, webhookSender } from "../stand-ins/github-webhooks";
import { postCode, type System, startSystem } from "./harness";
import { startSlackWorker } from "./slack-worker";
import { collectEvents, type ParsedEvent } from "./sse";

const SECRET = `whsec-${randomBytes(12).toString("hex")}`;
const OWNER = "acme";
const REPO = "hooks";
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const maintainer = { login: "maintainer", association: "OWNER" as const };

let system: System;
let send: WebhookSender;
let octokit: Octokit;

beforeAll(async () => {
  system = await startSystem({ secretsOverride: { GITHUB_WEBHOOK_SECRET: SECRET } });
  send = webhookSender(system.github, `${system.url}/github/webhook`, SECRET);
  octokit = new Octokit({ auth: system.github.token, baseUrl: system.github.apiUrl, log: quiet });
  await system.github.createRepo(OWNER, REPO, { "notes.txt": "one\ntwo\nthree\n", "README.md": "# hooks\n" });
}, 120_000);
afterAll(async () => {
  await system?.close();
});

/** A PR on the stand-in that this deployment did not open (made straight through the API). */
async function foreignPull(branch: string): Promise<number> {
  await system.github.git(OWNER, REPO, "branch", branch, "main");
  await system.github.commitFiles(OWNER, REPO, branch, { [`${branch}.txt`]: "by hand\n" });
  const { data } = await octokit.rest.pulls.create({
    owner: OWNER,
    repo: REPO,
    title: branch,
    head: branch,
    base: "main",
  });
  return data.number;
}

const jobRooms = async () => (await system.durableObjectIds("JOB_ROOM")).length;

function editAndFinish(command: string, title: string, summary: string) {
  return [
    { toolCalls: [{ name: "bash", arguments: { command } }] },
    { toolCalls: [{ name: "finish", arguments: { title, summary } }] },
  ];
}

/** Opens a PR through POST /code (so this deployment owns it); resolves to its `pr` event's data. */
async function ourPull(marker: string): Promise<{ number: number; url: string; branch: string }> {
  system.openai.setScript(
    editAndFinish(`printf 'four ${marker}\\n' >> notes.txt`, `Add four ${marker}`, "Adds a fourth line."),
    marker,
  );
  const response = await postCode(system, {
    repoUrl: `${OWNER}/${REPO}`,
    prompt: `${marker} add a fourth line`,
  });
  expect(response.status).toBe(200);
  const { events } = await collectEvents(response, { timeoutMs: 120_000 });
  expect(events.at(-1)?.data).toMatchObject({ status: "succeeded" });
  return events.find((e) => e.type === "pr")?.data as { number: number; url: string; branch: string };
}

/** The follow-up job's events, from its start to `done`. */
async function eventsOf(jobId: string): Promise<ParsedEvent[]> {
  const response = await fetch(`${system.url}/jobs/${jobId}/events?after=0`);
  expect(response.status).toBe(200);
  return (await collectEvents(response, { timeoutMs: 120_000 })).events;
}

describe("POST /github/webhook: the front door", () => {
  it("refuses a missing, malformed or wrongly keyed signature with 401 problem+json", async () => {
    const payload = { action: "created" };
    const wrongKey = webhookSender(system.github, `${system.url}/github/webhook`, "another-secret");
    for (const sent of [
      await send.send("issue_comment", payload, { signature: null }),
      await send.send("issue_comment", payload, { signature: "sha256=nothex" }),
      await send.send("issue_comment", payload, { signature: `sha256=${"0".repeat(64)}` }),
      await wrongKey.send("issue_comment", payload),
    ]) {
      expect(sent.status).toBe(401);
      expect(sent.response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(await sent.response.json()).toMatchObject({ status: 401, title: "Bad signature" });
    }
    // Neither the secret nor a signature is ever logged.
    expect(system.logs()).not.toContain(SECRET);
    expect(system.logs()).not.toMatch(/sha256=[0-9a-f]{64}/);
  });

  it("answers ping and the events it does not act on with 204", async () => {
    const ping = await send.send("ping", { zen: "Keep it logically awesome.", hook_id: 1 });
    expect(ping.status).toBe(204);
    const push = await send.send("push", { ref: "refs/heads/main" });
    expect(push.status).toBe(204);
  });

  it("does nothing for a comment that does not mention the bot, or a bot's mention", async () => {
    const number = await foreignPull("quiet");
    const rooms = await jobRooms();
    const plain = system.github.addComment(OWNER, REPO, number, maintainer, "looks good to me");
    expect((await send.comment(plain)).status).toBe(204);
    const bot = system.github.addComment(
      OWNER,
      REPO,
      number,
      { login: "other-app[bot]", association: "NONE", type: "Bot" },
      `@${system.github.login} do something`,
    );
    expect((await send.comment(bot)).status).toBe(204);
    expect(plain.reactions).toEqual([]);
    expect(bot.reactions).toEqual([]);
    expect(await jobRooms()).toBe(rooms);
  });

  it("starts nothing and reacts to nothing for a mention by someone without write access", async () => {
    const number = await foreignPull("stranger");
    const rooms = await jobRooms();
    const who = { login: "drive-by", association: "CONTRIBUTOR" as const, permission: "read" as const };
    const comment = system.github.addComment(
      OWNER,
      REPO,
      number,
      who,
      `@${system.github.login} delete everything`,
    );
    expect((await send.comment(comment)).status).toBe(204);
    expect(system.github.calls.map((c) => c.operationId)).toContain(
      "repos/get-collaborator-permission-level",
    );
    expect(comment.reactions).toEqual([]);
    expect(await jobRooms()).toBe(rooms);
    expect(system.github.violations).toEqual([]);
  });
});

describe("POST /github/webhook without GITHUB_WEBHOOK_SECRET", () => {
  it("answers 503 problem+json naming the key", async () => {
    const worker = await startSlackWorker();
    try {
      const response = await fetch(`${worker.url}/github/webhook`, {
        method: "POST",
        headers: { "x-github-event": "ping", "content-type": "application/json" },
        body: "{}",
      });
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ status: 503, missing: ["GITHUB_WEBHOOK_SECRET"] });
    } finally {
      await worker.close();
    }
  });
});

describe("follow-ups from GitHub", () => {
  it("ignores a mention on a PR this deployment did not open", async () => {
    const number = await foreignPull("foreign");
    const rooms = await jobRooms();
    const comment = system.github.addComment(
      OWNER,
      REPO,
      number,
      maintainer,
      `@${system.github.login} fix it`,
    );
    expect((await send.comment(comment)).status).toBe(204);
    expect(comment.reactions).toEqual([]);
    expect(await jobRooms()).toBe(rooms);
    expect(
      system.github.talk.comments.filter((c) => c.user === system.github.login && c.number === number),
    ).toEqual([]);
  });

  it("a mention in a comment: 👀, a follow-up that updates the same PR, then one reply with the commit", async () => {
    const pr = await ourPull("[hook-comment]");
    const before = await system.github.git(OWNER, REPO, "rev-parse", `refs/heads/${pr.branch}`);
    system.openai.setScript(
      editAndFinish("printf 'five\\n' >> notes.txt", "Add five", "Adds a fifth line."),
      "[hook-comment-2]",
    );
    const comment = system.github.addComment(
      OWNER,
      REPO,
      pr.number,
      maintainer,
      `@${system.github.login} [hook-comment-2] add a fifth line`,
    );
    const sent = await send.comment(comment);
    expect(sent.status).toBe(202);
    const { jobId } = (await sent.response.json()) as { jobId: string };
    expect(comment.reactions.map((r) => r.content)).toEqual(["eyes"]);
    const events = await eventsOf(jobId);
    expect(events[0]?.data).toMatchObject({ followUpOf: expect.any(String), pr: pr.number });
    expect(events.at(-1)?.data).toMatchObject({ status: "succeeded" });
    const update = events.find((e) => e.type === "pr")?.data as {
      url: string;
      headSha: string;
      updated: boolean;
    };
    expect(update).toMatchObject({ url: pr.url, number: pr.number, updated: true });
    const head = await system.github.git(OWNER, REPO, "rev-parse", `refs/heads/${pr.branch}`);
    expect(head.trim()).toBe(update.headSha);
    expect((await system.github.git(OWNER, REPO, "rev-parse", `${update.headSha}^`)).trim()).toBe(
      before.trim(),
    );
    const replies = () =>
      system.github.talk.comments.filter((c) => c.number === pr.number && c.body.includes(`/jobs/${jobId}`));
    await vi.waitFor(() => expect(replies()).toHaveLength(1), { timeout: 30_000, interval: 100 });
    expect(replies()[0]?.body).toContain(`@${maintainer.login}`);
    const reply = replies()[0]?.body ?? "";
    expect(reply).toContain(`${pr.url}/commits/${update.headSha}`);
    expect(reply).toContain("Adds a fifth line.");
    // Every later event of the room (none: `done` was the last) would find the reply already posted.
    expect(system.github.talk.comments.filter((c) => c.body.includes(`reply ${jobId}`))).toHaveLength(1);
    expect(system.github.violations).toEqual([]);
  });

  it("a follow-up that changed nothing says so in its reply", async () => {
    const pr = await ourPull("[hook-nothing]");
    system.openai.setScript(
      [
        {
          toolCalls: [{ name: "finish", arguments: { title: "Nothing", summary: "It already says four." } }],
        },
      ],
      "[hook-nothing-2]",
    );
    const comment = system.github.addComment(
      OWNER,
      REPO,
      pr.number,
      maintainer,
      `@${system.github.login} [hook-nothing-2] make sure it says four`,
    );
    const sent = await send.comment(comment);
    expect(sent.status).toBe(202);
    const { jobId } = (await sent.response.json()) as { jobId: string };
    const events = await eventsOf(jobId);
    expect(events.at(-1)?.data).toMatchObject({ status: "succeeded" });
    expect(events.some((e) => e.type === "pr")).toBe(false);
    const replies = () => system.github.talk.comments.filter((c) => c.body.includes(`/jobs/${jobId}`));
    await vi.waitFor(() => expect(replies()).toHaveLength(1), { timeout: 30_000, interval: 100 });
    expect(replies()[0]?.body).toMatch(/nothing changed/);
    expect(replies()[0]?.body).toContain("It already says four.");
    expect(replies()[0]?.body).not.toContain("/commits/");
  });

  it("a redelivery starts no second job", async () => {
    const pr = await ourPull("[hook-redeliver]");
    system.openai.setScript(
      editAndFinish("printf 'again\\n' >> notes.txt", "Again", "Adds a line."),
      "[hook-redeliver-2]",
    );
    const comment = system.github.addComment(
      OWNER,
      REPO,
      pr.number,
      maintainer,
      `@${system.github.login} [hook-redeliver-2] once more`,
    );
    const rooms = await jobRooms();
    const first = await send.comment(comment, "delivery-redelivered");
    const again = await send.comment(comment, "delivery-redelivered");
    expect([first.status, again.status]).toEqual([202, 202]);
    const a = (await first.response.json()) as { jobId: string; created: boolean };
    const b = (await again.response.json()) as { jobId: string; created: boolean };
    expect(b).toEqual({ jobId: a.jobId, created: false });
    expect(a.created).toBe(true);
    expect(await jobRooms()).toBe(rooms + 1);
    expect(comment.reactions).toHaveLength(1);
    await eventsOf(a.jobId);
  });

  it("a review's inline comments reach the model with their path, line and hunk", async () => {
    const pr = await ourPull("[hook-review]");
    system.openai.setScript(
      editAndFinish("sed -i 's/two/TWO/' notes.txt", "Shout two", "Capitalises two."),
      "[hook-review-2]",
    );
    const reviewer = { login: "reviewer", association: "NONE" as const, permission: "write" as const };
    const review = await system.github.addReview(
      OWNER,
      REPO,
      pr.number,
      reviewer,
      `@${system.github.login} [hook-review-2] please address these`,
      [{ path: "notes.txt", line: 4, body: "Say which number this is." }],
    );
    const hunk = review.comments[0]?.diffHunk ?? "";
    expect(hunk).toContain("+four [hook-review]");
    const sent = await send.review(review);
    expect(sent.status).toBe(202);
    const { jobId } = (await sent.response.json()) as { jobId: string };
    expect(
      system.github.talk.reactionsOn({ owner: OWNER, repo: REPO, number: pr.number }).map((r) => r.content),
    ).toEqual(["eyes"]);
    await eventsOf(jobId);
    const first = system.openai.requests.find((r) =>
      JSON.stringify(r.messages.find((m) => m.role === "user")).includes("[hook-review-2]"),
    );
    const text = JSON.stringify(first?.messages ?? []);
    for (const expected of ["notes.txt line 4", "Say which number this is.", ...hunk.split("\n")])
      expect(text).toContain(JSON.stringify(expected).slice(1, -1));
  });

  it("a mention on a closed PR is answered on the PR, and starts nothing", async () => {
    const pr = await ourPull("[hook-closed]");
    await system.github.closePull(OWNER, REPO, pr.number);
    const rooms = await jobRooms();
    const comment = system.github.addComment(
      OWNER,
      REPO,
      pr.number,
      maintainer,
      `@${system.github.login} more`,
    );
    const sent = await send.comment(comment);
    expect(sent.status).toBe(200);
    expect(await jobRooms()).toBe(rooms);
    const answer = system.github.talk.comments.filter(
      (c) => c.number === pr.number && c.user === system.github.login,
    );
    expect(answer).toHaveLength(1);
    expect(answer[0]?.body).toMatch(/^@maintainer .*closed/i);
    expect(answer[0]?.body).toMatch(/Nothing was started\.$/);
  });
});
