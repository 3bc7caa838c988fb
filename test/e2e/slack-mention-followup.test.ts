// A follow-up from Slack, end to end: a `/pr` job opens a PR, then a mention of the bot in its
// thread (a signed Events API app_mention) starts the next turn on the real Worker, the real
// sandbox service and the OpenAI and GitHub stand-ins. The turn reports in the same thread, takes
// the thread's parent over (its status, its Cancel button, its job id in the metadata), and ends
// with the same PR, updated with one new commit.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookSender } from "../stand-ins/github-webhooks";
import type { SlackCall, SlackStandIn } from "../stand-ins/slack";
import { startSlackStandIn } from "../stand-ins/slack";
import { type System, startSystem } from "./harness";
import { appMentionBody, postSlack, postSlackEvent, slashCommandBody } from "./slack-requests";
import { jobIdOf } from "./slack-worker";
import { collectEvents } from "./sse";

const SIGNING_SECRET = "e2e-signing-secret-mention-0123456789";
const CHANNEL = "C0GENERAL";
const WEBHOOK_SECRET = "e2e-webhook-secret-mention-0123456789";

const bash = (command: string) => ({ toolCalls: [{ name: "bash", arguments: { command } }] });
const finish = (summary: string, title?: string) => ({
  toolCalls: [{ name: "finish", arguments: { ...(title ? { title } : {}), summary } }],
});

const final = /^:(white_check_mark|x|no_entry_sign):/;
const hasButton = (call: SlackCall | undefined) =>
  JSON.stringify(call?.args.blocks ?? "").includes("cancel_job");
const buttonValue = (call: SlackCall) =>
  JSON.stringify(call.args.blocks).includes("cancel_job") ? jobIdOf(call.args) : null;

let slack: SlackStandIn;
let system: System;
let first: { jobId: string; parentTs: string };

/** `user` mentions the bot with `text` in the first job's thread (a signed app_mention); the ack. */
async function mentionInThread(text: string, user = "U0ALICE"): Promise<Response> {
  const ts = slack.userMessage({ channel: CHANNEL, user, text, threadTs: first.parentTs });
  return postSlackEvent(
    system.url,
    SIGNING_SECRET,
    appMentionBody({ text, ts, threadTs: first.parentTs, user }),
  );
}

/** The bot's replies in thread `ts`, in order. */
const repliesIn = (ts: string, calls: SlackCall[] = slack.calls) =>
  calls.filter((c) => c.method === "chat.postMessage" && c.args.thread_ts === ts && c.response.ok === true);

beforeAll(async () => {
  slack = await startSlackStandIn();
  system = await startSystem({
    vars: { SLACK_API_URL: slack.apiUrl },
    secretsOverride: {
      SLACK_BOT_TOKEN: slack.token,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
    },
  });
  await system.github.createRepo("acme", "talk", {
    "README.md": "# talk\n",
    "src/app.js": "console.log('Hello');\n",
  });
  system.openai.setScript(
    [bash("sed -i 's/Hello/Hello, world/' src/app.js"), finish("Greets the world.", "Greet the world")],
    "[sm-1]",
  );
  const body = slashCommandBody({
    text: `<${system.github.webUrl}/acme/talk> [sm-1] greet the world`,
    responseUrl: slack.responseUrl(),
  });
  expect((await postSlack(system.url, SIGNING_SECRET, body)).status).toBe(200);
  const parentOf = (c: SlackCall) => c.method === "chat.postMessage" && c.args.thread_ts === undefined;
  const parent = (await slack.waitFor((c) => c.some(parentOf))).find(parentOf);
  first = { jobId: jobIdOf(parent?.args ?? {}), parentTs: String(parent?.response.ts) };
  await slack.waitFor(
    (c) => repliesIn(first.parentTs, c).some((r) => final.test(String(r.args.text))),
    90_000,
  );
  // Its last edit (no more Cancel button) may trail the final reply by the 2 s throttle.
  await slack.waitFor((c) =>
    c.some((x) => x.method === "chat.update" && x.args.ts === first.parentTs && !hasButton(x)),
  );
}, 120_000);

afterAll(async () => {
  await system?.close();
  await slack?.close();
});

describe("a mention in a finished job's thread", () => {
  it("updates the same PR, reporting in the same thread, the parent showing the latest turn", async () => {
    const pr = system.github.pulls[0];
    expect(repliesIn(first.parentTs).at(-1)?.args.text).toMatch(/Pull request opened/);
    expect(slack.message(CHANNEL, first.parentTs)?.metadata).toEqual({
      event_type: "coding_agent_job",
      event_payload: { job_id: first.jobId },
    });
    system.openai.setScript(
      [bash("echo \"console.log('Goodbye');\" >> src/app.js"), finish("Says goodbye too.")],
      "[sm-2]",
    );
    const before = slack.calls.length;
    const ack = await mentionInThread("<@U0BOT> [sm-2] say goodbye as well", "U0BOB");
    expect([ack.status, await ack.text()]).toEqual([200, ""]);

    const ended = (c: SlackCall[]) =>
      repliesIn(first.parentTs, c.slice(before)).some((r) => final.test(String(r.args.text)));
    await slack.waitFor(ended, 90_000);
    const calls = await slack.waitFor((c) =>
      c
        .slice(before)
        .some((x) => x.method === "chat.update" && x.args.ts === first.parentTs && !hasButton(x)),
    );
    const turn = calls.slice(before);

    // The thread: accepted, then the milestones, then the same PR, updated.
    const replies = repliesIn(first.parentTs, turn).map((r) => String(r.args.text));
    expect(replies[0]).toMatch(
      /^:arrow_right_hook: Follow-up accepted \(<http[^|]+\/jobs\/[0-9a-f-]{36}\|live page>\)/,
    );
    expect(replies.some((r) => /^:package: Sandbox ready\./.test(r))).toBe(true);
    const head = (await system.github.git("acme", "talk", "rev-parse", `refs/heads/${pr?.head}`)).trim();
    const url = `${system.github.webUrl}/acme/talk/pull/${pr?.number}`;
    expect(replies.at(-1)).toContain(`Pull request updated: <${url}|#${pr?.number} Greet the world>`);
    expect(replies.at(-1)).toContain(`<${url}/commits/${head}|${head.slice(0, 7)}>`);
    expect(system.github.pulls).toHaveLength(1);

    // The parent: taken over by the follow-up (its Cancel button while it ran), then its outcome.
    const followUpId = String(replies[0]?.match(/\/jobs\/([0-9a-f-]{36})\|/)?.[1]);
    expect(followUpId).not.toBe(first.jobId);
    const edits = turn.filter((c) => c.method === "chat.update" && c.args.ts === first.parentTs);
    expect(edits.map(buttonValue).filter((v) => v !== null)).toContain(followUpId);
    expect(edits.map(buttonValue)).not.toContain(first.jobId);
    const last = JSON.stringify(edits.at(-1)?.args.blocks);
    expect(last).toContain(`#${pr?.number} Greet the world`);
    expect(last).toContain("Pull request updated");
    expect(last).toContain("Turn 2");
    expect(last).toContain("<@U0BOB>");
    expect(slack.message(CHANNEL, first.parentTs)?.metadata).toEqual({
      event_type: "coding_agent_job",
      event_payload: { job_id: followUpId },
    });
    // Nothing new in the channel itself, and every call was taken.
    expect(turn.filter((c) => c.method === "chat.postMessage" && c.args.thread_ts === undefined)).toEqual([]);
    expect(turn.filter((c) => c.response.ok === false)).toEqual([]);

    const snapshot = (await (await fetch(`${system.url}/jobs/${followUpId}`)).json()) as Record<
      string,
      unknown
    >;
    expect(snapshot).toMatchObject({ status: "succeeded", followUpOf: first.jobId });
    const content = await system.github.git("acme", "talk", "show", `${head}:src/app.js`);
    expect(content).toContain("Goodbye");
    expect(content).toContain("Hello, world");
  }, 120_000);

  it("queues a follow-up behind the running one: it waits off the parent, then takes it over", async () => {
    const { promise: held, resolve: release } = Promise.withResolvers<void>();
    system.openai.setScript(
      [
        async () => {
          await held;
          return bash("echo \"console.log('one');\" >> src/app.js");
        },
        finish("Adds one."),
      ],
      "[sm-q1]",
    );
    system.openai.setScript(
      [bash("echo \"console.log('two');\" >> src/app.js"), finish("Adds two.")],
      "[sm-q2]",
    );
    const before = slack.calls.length;
    const since = (c: SlackCall[]) => c.slice(before);
    const say = async (text: string) => {
      expect((await mentionInThread(text)).status).toBe(200);
    };
    const accepted = (c: SlackCall[]) =>
      repliesIn(first.parentTs, since(c))
        .map(
          (r) =>
            String(r.args.text).match(
              /^:arrow_right_hook: Follow-up accepted \(<[^|]+\/jobs\/([0-9a-f-]{36})\|/,
            )?.[1],
        )
        .filter((id): id is string => id !== undefined);
    const editsBy = (c: SlackCall[], jobId: string) =>
      since(c).filter(
        (x) => x.method === "chat.update" && x.args.ts === first.parentTs && buttonValue(x) === jobId,
      );

    await say("<@U0BOT> [sm-q1] log one");
    const [q1 = ""] = accepted(await slack.waitFor((c) => accepted(c).length === 1));
    // The first takes the parent over once it runs; its model call is held.
    await slack.waitFor((c) => editsBy(c, q1).length > 0);
    await say("<@U0BOT> [sm-q2] log two");
    const q2 = accepted(await slack.waitFor((c) => accepted(c).length === 2))[1] ?? "";
    const watch = await fetch(`${system.url}/jobs/${q2}/events`);
    await collectEvents(watch, {
      until: (e) => e.type === "status" && /waiting for the previous turn/i.test(String(e.data.message)),
    });
    expect(editsBy(slack.calls, q2)).toEqual([]);
    release();

    const finals = (c: SlackCall[]) =>
      repliesIn(first.parentTs, since(c)).filter((r) =>
        /^:white_check_mark: Pull request updated/.test(String(r.args.text)),
      );
    await slack.waitFor((c) => finals(c).length === 2, 90_000);
    // The second's last edit (no button: it ended) may trail its final reply by the 2 s throttle.
    const calls = await slack.waitFor((c) =>
      since(c).some(
        (x) =>
          x.method === "chat.update" &&
          x.args.ts === first.parentTs &&
          !hasButton(x) &&
          JSON.stringify(x.args.blocks).includes(`/jobs/${q2}|Live page`),
      ),
    );
    // The second edited the parent only after the first had ended, and the parent ends on it.
    const firstEnd = calls.indexOf(finals(calls)[0] as SlackCall);
    expect(editsBy(calls, q2).length).toBeGreaterThan(0);
    expect(editsBy(calls, q2).every((x) => calls.indexOf(x) > firstEnd)).toBe(true);
    const last = since(calls)
      .filter((x) => x.method === "chat.update" && x.args.ts === first.parentTs)
      .at(-1);
    expect(JSON.stringify(last?.args.blocks)).toContain(`/jobs/${q2}|Live page`);
    expect(slack.message(CHANNEL, first.parentTs)?.metadata).toMatchObject({ event_payload: { job_id: q2 } });
    const head = (
      await system.github.git("acme", "talk", "rev-parse", `refs/heads/${system.github.pulls[0]?.head}`)
    ).trim();
    const content = await system.github.git("acme", "talk", "show", `${head}:src/app.js`);
    expect(content.indexOf("one")).toBeLessThan(content.indexOf("two"));
    expect(content.indexOf("one")).toBeGreaterThan(-1);
  }, 180_000);

  it("reports a follow-up asked in a PR comment in the conversation's thread too", async () => {
    const pr = system.github.pulls[0];
    system.openai.setScript(
      [bash("echo \"console.log('three');\" >> src/app.js"), finish("Adds a third line.")],
      "[sm-gh]",
    );
    const before = slack.calls.length;
    const maintainer = { login: "maintainer", association: "OWNER" as const };
    const comment = system.github.addComment(
      "acme",
      "talk",
      Number(pr?.number),
      maintainer,
      `@${system.github.login} [sm-gh] add a third line`,
    );
    const send = webhookSender(system.github, `${system.url}/github/webhook`, WEBHOOK_SECRET);
    const sent = await send.comment(comment);
    expect(sent.status).toBe(202);
    const { jobId } = (await sent.response.json()) as { jobId: string };
    const ended = (c: SlackCall[]) =>
      repliesIn(first.parentTs, c.slice(before)).some((r) => final.test(String(r.args.text)));
    const calls = (await slack.waitFor(ended, 90_000)).slice(before);
    const replies = repliesIn(first.parentTs, calls).map((r) => String(r.args.text));
    expect(replies[0]).toContain(`/jobs/${jobId}`);
    expect(replies.at(-1)).toContain("Pull request updated");
    expect(calls.filter((c) => c.method === "chat.postMessage" && c.args.thread_ts === undefined)).toEqual(
      [],
    );
  }, 120_000);

  it("refuses a follow-up once the PR is merged, saying so in the thread", async () => {
    const pr = system.github.pulls[0];
    await system.github.closePull("acme", "talk", Number(pr?.number), { merged: true });
    const before = slack.calls.length;
    const ack = await mentionInThread("<@U0BOT> [sm-3] one more thing");
    expect(ack.status).toBe(200);
    const refusal = (c: SlackCall[]) =>
      repliesIn(first.parentTs, c.slice(before)).filter((r) =>
        /I can't follow up on this thread/.test(String(r.args.text)),
      );
    const reply = refusal(await slack.waitFor((c) => refusal(c).length === 1))[0];
    expect(String(reply?.args.text)).toMatch(/merged/i);
  });
});
