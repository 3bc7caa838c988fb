// A whole job from Slack: a signed `/pr` to the real Worker, the real sandbox service, the OpenAI
// and GitHub stand-ins driven by the real SDKs, and the Slack stand-in recording what the bot says.
// The channel gets one parent message; its thread gets the milestones and ends with the PR link.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SlackCall, SlackStandIn } from "../stand-ins/slack";
import { startSlackStandIn } from "../stand-ins/slack";
import { type System, startSystem } from "./harness";
import { postSlack, slashCommandBody } from "./slack-requests";
import { jobIdOf } from "./slack-worker";

const SIGNING_SECRET = "e2e-signing-secret-0123456789abcdef";
const ADMIN_TOKEN = "e2e-admin-token-0123456789abcdef";

const bash = (command: string) => ({ toolCalls: [{ name: "bash", arguments: { command } }] });
const TRAJECTORY = [
  { ...bash("make test"), usage: { promptTokens: 100, completionTokens: 10 } },
  {
    ...bash("sed -i 's/Hello/Hello, world/' src/app.js"),
    usage: { promptTokens: 200, completionTokens: 20 },
  },
  { ...bash("make test"), usage: { promptTokens: 300, completionTokens: 30 } },
  {
    toolCalls: [
      { name: "finish", arguments: { title: "Greet the world", summary: "Says hello to the world." } },
    ],
    usage: { promptTokens: 400, completionTokens: 40 },
  },
];

let slack: SlackStandIn;
let system: System;
let ackBody = "";
let calls: SlackCall[] = [];

beforeAll(async () => {
  slack = await startSlackStandIn();
  system = await startSystem({
    vars: { SLACK_API_URL: slack.apiUrl },
    secretsOverride: {
      SLACK_BOT_TOKEN: slack.token,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      ADMIN_API_TOKENS: `ops:${ADMIN_TOKEN}`,
    },
  });
  await system.github.createRepo("acme", "api", {
    "README.md": "# api\n",
    "src/app.js": "console.log('Hello');\n",
    Makefile: "test:\n\tgrep -q 'Hello, world' src/app.js\n",
  });
  system.openai.setScript(TRAJECTORY, "[slack-e2e]");
  const body = slashCommandBody({
    text: `<${system.github.webUrl}/acme/api> [slack-e2e] greet the world`,
    responseUrl: slack.responseUrl(),
  });
  // The parent post waits until the ack is in: an ack that waited for the job's Slack work would
  // never come. (How fast it comes is bench/slack-ack.ts's business.)
  const release = slack.hold("chat.postMessage");
  const response = await postSlack(system.url, SIGNING_SECRET, body);
  expect(response.status).toBe(200);
  ackBody = await response.text();
  release();
  // The final reply, whatever the outcome (a failure shows its reason in the assertions below).
  const final = /^:(white_check_mark|x|no_entry_sign):/;
  calls = await slack.waitFor(
    (c) => c.some((x) => x.args.thread_ts && final.test(String(x.args.text))),
    60_000,
  );
  // The parent's last edit (no more Cancel button) may trail the final reply by the 2 s throttle.
  calls = await slack.waitFor((c) => c.some((x) => x.method === "chat.update" && !hasButton(x)));
});
afterAll(async () => {
  await system?.close();
  await slack?.close();
});

const hasButton = (call: SlackCall | undefined) =>
  JSON.stringify(call?.args.blocks ?? "").includes("cancel_job");

describe("/pr end to end", () => {
  it("acks, empty, without waiting for the job's Slack calls; the parent is the job's first", () => {
    expect(ackBody).toBe("");
    expect(calls[0]).toMatchObject({ method: "chat.postMessage", args: { channel: "C0GENERAL" } });
    expect(calls[0]?.args.thread_ts).toBeUndefined();
  });

  it("posts one parent in the channel and edits only it", () => {
    const parents = calls.filter((c) => c.method === "chat.postMessage" && c.args.thread_ts === undefined);
    expect(parents).toHaveLength(1);
    const ts = parents[0]?.response.ts;
    expect(hasButton(parents[0])).toBe(true);
    expect(calls.filter((c) => c.method === "chat.update").every((c) => c.args.ts === ts)).toBe(true);
  });

  it("replies in the thread at the milestones and ends with the PR link and usage", () => {
    const parent = calls.find((c) => c.method === "chat.postMessage" && c.args.thread_ts === undefined);
    const replies = calls
      .filter((c) => c.method === "chat.postMessage" && c.args.thread_ts === parent?.response.ts)
      .map((c) => String(c.args.text));
    const pr = system.github.pulls[0];
    expect(pr?.title).toBe("Greet the world");
    expect(replies).toHaveLength(4);
    expect(replies[0]).toMatch(/^:package: Sandbox ready\. Agent working on main at [0-9a-f]{7}/);
    expect(replies[1]).toMatch(/Tests failed \(exit 2\): `make test` \(step 1\)/);
    expect(replies[2]).toMatch(/Tests passed: `make test` \(step 3\)/);
    expect(replies[3]).toContain(
      `<${system.github.webUrl}/acme/api/pull/${pr?.number}|#${pr?.number} Greet the world>`,
    );
    expect(replies[3]).toMatch(/3 steps · 1,000 prompt \+ 100 completion tokens · \d+s/);
  });

  it("leaves the parent showing the PR, without the Cancel button", async () => {
    const last = calls.filter((c) => c.method === "chat.update").at(-1);
    expect(hasButton(last)).toBe(false);
    expect(JSON.stringify(last?.args.blocks)).toContain("Pull request opened");
    const jobId = jobIdOf(calls.find((c) => c.method === "chat.postMessage")?.args ?? {});
    const snapshot = (await (await fetch(`${system.url}/jobs/${jobId}`)).json()) as Record<string, unknown>;
    expect(snapshot).toMatchObject({ status: "succeeded", repo: "acme/api" });
    expect(system.github.violations).toEqual([]);
    expect(slack.calls.filter((c) => c.response.ok === false)).toEqual([]);
    // Bolt is built with its bot ids, so it never asks Slack who it is.
    expect(slack.calls.filter((c) => c.method === "auth.test")).toEqual([]);
  });

  it("puts the job in the history under the Slack user's tenant", async () => {
    const jobId = jobIdOf(calls.find((c) => c.method === "chat.postMessage")?.args ?? {});
    const tenant = encodeURIComponent("slack:T0STANDIN:U0ALICE");
    // The row's end is written by the room after `done`; asked again until it is there (bounded).
    let row: Record<string, unknown> | undefined;
    for (let i = 0; i < 200 && row?.finishedAt == null; i++) {
      const page = (await (
        await fetch(`${system.url}/jobs?tenant=${tenant}`, {
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        })
      ).json()) as { jobs: Record<string, unknown>[] };
      row = page.jobs.find((r) => r.jobId === jobId);
      if (row?.finishedAt == null) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const pr = system.github.pulls[0];
    expect(row).toMatchObject({
      tenant: "slack:T0STANDIN:U0ALICE",
      requester: "U0ALICE",
      repo: "acme/api",
      status: "succeeded",
      steps: 3,
      promptTokens: 1000,
      completionTokens: 100,
      prUrl: `${system.github.webUrl}/acme/api/pull/${pr?.number}`,
    });
    expect(String(row?.prompt)).toContain("[slack-e2e] greet the world");
  });
});
