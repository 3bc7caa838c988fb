// Mentions of the bot through the Events API on the real Worker (the Slack stand-in alive, the rest
// silent: a job stays in its first step and the test writes its events): the url_verification
// handshake and signatures; `owner/repo <prompt>` outside a job thread starts a job reported in the
// mention's thread, its first reply marked with the job id; anything else gets the usage there; a
// retried event starts nothing more; a mention in a job's thread is a follow-up, refused with the
// reason while the job has no PR; a token without channels:history is told so.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SlackCall } from "../stand-ins/slack";
import {
  appMentionBody,
  newEventId,
  postSlack,
  postSlackEvent,
  signHeaders,
  slashCommandBody,
} from "./slack-requests";
import { jobIdOf, type SlackWorker, startSlackWorker } from "./slack-worker";

let w: SlackWorker;
beforeAll(async () => {
  w = await startSlackWorker();
});
afterAll(async () => {
  await w?.close();
});

const CHANNEL = "C0GENERAL";

/** A user's message mentioning the bot, posted to the stand-in, and its event sent signed. */
async function mention(
  worker: SlackWorker,
  text: string,
  options: { threadTs?: string; eventId?: string } = {},
) {
  const ts = worker.slack.userMessage({
    channel: CHANNEL,
    user: "U0ALICE",
    text,
    threadTs: options.threadTs,
  });
  const eventId = options.eventId ?? newEventId();
  const body = appMentionBody({
    text,
    ts,
    eventId,
    ...(options.threadTs ? { threadTs: options.threadTs } : {}),
  });
  const response = await postSlackEvent(worker.url, worker.signingSecret, body);
  return { ts, eventId, body, response };
}

const repliesIn = (threadTs: string) => (calls: SlackCall[]) =>
  calls.filter(
    (c) => c.method === "chat.postMessage" && c.args.thread_ts === threadTs && c.response.ok === true,
  );
const marked = (marker: string) => (c: SlackCall) =>
  c.method === "chat.postMessage" &&
  c.response.ok === true &&
  JSON.stringify(c.args.blocks ?? "").includes(marker);
const hasButton = (call: SlackCall | undefined) =>
  JSON.stringify(call?.args.blocks ?? "").includes("cancel_job");
const now = () => Math.floor(Date.now() / 1000);

/** Resolves once the Worker has logged `text` `times` times. */
async function waitForLog(text: string, times = 1, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (w.logs().split(text).length - 1 < times) {
    if (Date.now() > deadline) throw new Error(`the Worker never logged ${JSON.stringify(text)} ${times}×`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("the Events API on /slack/events", () => {
  it("answers url_verification with its challenge, signed, and refuses it unsigned", async () => {
    const body = JSON.stringify({
      token: "legacy",
      challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
      type: "url_verification",
    });
    const check = await postSlackEvent(w.url, w.signingSecret, body);
    expect(check.status).toBe(200);
    expect(await check.json()).toEqual({ challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" });
    const unsigned = await postSlackEvent(w.url, w.signingSecret, body, signHeaders("not-the-secret", body));
    expect(unsigned.status).toBe(401);
  });

  it("refuses an event with a bad signature with 401, and nothing happens for it", async () => {
    const rooms = await w.jobRoomCount();
    const text = "<@U0BOT> acme/api [bad-signature] add a README";
    const ts = w.slack.userMessage({ channel: CHANNEL, user: "U0ALICE", text });
    const body = appMentionBody({ text, ts });
    const forged = await postSlackEvent(w.url, w.signingSecret, body, signHeaders("not-the-secret", body));
    expect(forged.status).toBe(401);
    const stale = await postSlackEvent(
      w.url,
      w.signingSecret,
      body,
      signHeaders(w.signingSecret, body, now() - 360),
    );
    expect(stale.status).toBe(401);
    // A signed request after them is the pace-maker: it is handled after the refused ones were.
    const usage = await mention(w, "<@U0BOT> help");
    await w.slack.waitFor((c) => repliesIn(usage.ts)(c).length === 1);
    expect(await w.jobRoomCount()).toBe(rooms);
    expect(w.slack.calls.filter((c) => c.args.thread_ts === ts || marked("[bad-signature]")(c))).toEqual([]);
  });
});

describe("a mention outside a job's thread", () => {
  it("starts a job from `owner/repo <prompt>`, acked empty, reported in the mention's thread", async () => {
    const { ts, response } = await mention(w, "<@U0BOT> acme/api@develop [mention-new] add a README");
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("");
    const parent = (await w.slack.waitFor((c) => c.some(marked("[mention-new]")))).find(
      marked("[mention-new]"),
    );
    // The job's parent is the first reply in the mention's thread, marked with the job's id.
    expect(parent?.args).toMatchObject({ channel: CHANNEL, thread_ts: ts });
    const jobId = jobIdOf(parent?.args ?? {});
    const parentTs = String(parent?.response.ts);
    expect(w.slack.message(CHANNEL, parentTs)?.metadata).toEqual({
      event_type: "coding_agent_job",
      event_payload: { job_id: jobId },
    });
    expect(JSON.stringify(parent?.args.blocks)).toContain("<@U0ALICE>");
    const room = await w.room(jobId);
    expect(await room.job()).toMatchObject({ jobId, requester: "U0ALICE" });
    const snapshot = (await (await fetch(`${w.url}/jobs/${jobId}`)).json()) as Record<string, unknown>;
    expect(snapshot).toMatchObject({ status: "running", repo: "acme/api", baseBranch: "develop" });

    // Its milestones land in the mention's thread; the parent is edited there, keeping the mark.
    await room.append(
      1,
      { type: "status", data: { phase: "working", message: "Agent working on develop" } },
      "w",
    );
    const ready = await w.slack.waitFor((c) =>
      repliesIn(ts)(c).some((r) => /Sandbox ready/.test(String(r.args.text))),
    );
    expect(repliesIn(ts)(ready).map((r) => r.response.ts)[0]).toBe(parentTs);
    await room.complete(1, "failed", { error: { code: "test_stop", message: "Stopped by the test" } });
    const updates = (c: SlackCall[]) => c.filter((x) => x.method === "chat.update" && x.args.ts === parentTs);
    const done = await w.slack.waitFor((c) => updates(c).some((u) => !hasButton(u)));
    expect(JSON.stringify(updates(done).at(-1)?.args.blocks)).toContain("Stopped by the test");
    expect(w.slack.message(CHANNEL, parentTs)?.metadata).toMatchObject({ event_payload: { job_id: jobId } });
    expect(
      repliesIn(ts)(done).some((r) => /^:x: The job failed: Stopped by the test/.test(String(r.args.text))),
    ).toBe(true);
    // Nothing went to the channel itself, nor to a response_url (a mention has none).
    expect(
      done.filter(
        (c) =>
          c.method === "chat.postMessage" && c.args.thread_ts === undefined && marked("[mention-new]")(c),
      ),
    ).toEqual([]);
    expect(done.filter((c) => c.method === "response_url")).toEqual([]);
  });

  it.each([
    ["<@U0BOT>", null],
    ["<@U0BOT> help", null],
    ["<@U0BOT> hello there", /"hello" must be owner\/repo/],
    [
      "<@U0BOT> acme/api",
      /Say what to do after the repository, as in <@U0BOT> `acme\/api add input validation`/,
    ],
  ])("answers %j with the usage in its thread", async (text, problem) => {
    const rooms = await w.jobRoomCount();
    const { ts, response } = await mention(w, text);
    expect(response.status).toBe(200);
    const reply = repliesIn(ts)(await w.slack.waitFor((c) => repliesIn(ts)(c).length === 1))[0];
    expect(String(reply?.args.text)).toContain("*Usage:* mention me with");
    if (problem) expect(String(reply?.args.text)).toMatch(problem);
    else expect(String(reply?.args.text)).not.toContain(":warning:");
    expect(await w.jobRoomCount()).toBe(rooms);
  });

  it("answers in the thread's own thread when the mention is a reply in a thread that is no job's", async () => {
    const root = w.slack.userMessage({
      channel: CHANNEL,
      user: "U0BOB",
      text: "anyone seen the flaky test?",
    });
    await mention(w, "<@U0BOT> hello there", { threadTs: root });
    const reply = repliesIn(root)(await w.slack.waitFor((c) => repliesIn(root)(c).length === 1))[0];
    expect(String(reply?.args.text)).toContain("*Usage:*");
    const read = w.slack.calls.filter((c) => c.method === "conversations.replies" && c.args.ts === root);
    expect(read).toHaveLength(1);
    expect(read[0]?.args).toMatchObject({ channel: CHANNEL, include_all_metadata: "true" });
  });
});

describe("a retried event", () => {
  it("starts one job for the same event_id delivered again (retry headers, fresh signatures)", async () => {
    const rooms = await w.jobRoomCount();
    const text = "<@U0BOT> acme/api [mention-retry] add a README";
    const ts = w.slack.userMessage({ channel: CHANNEL, user: "U0ALICE", text });
    const body = appMentionBody({ text, ts, eventId: newEventId() });
    const retry = (n: number) => ({
      ...signHeaders(w.signingSecret, body, now() + n),
      "x-slack-retry-num": String(n),
      "x-slack-retry-reason": "http_timeout",
    });
    const before = w.logs().split("ignored a repeated event").length - 1;
    const answers = await Promise.all([
      postSlackEvent(w.url, w.signingSecret, body),
      postSlackEvent(w.url, w.signingSecret, body, retry(1)),
    ]);
    const late = await postSlackEvent(w.url, w.signingSecret, body, retry(2));
    expect([...answers, late].map((r) => r.status)).toEqual([200, 200, 200]);
    await waitForLog("ignored a repeated event", before + 2);
    await w.slack.waitFor((c) => c.some(marked("[mention-retry]")));
    expect(await w.jobRoomCount()).toBe(rooms + 1);
    expect(w.slack.calls.filter(marked("[mention-retry]"))).toHaveLength(1);
  });

  it("answers a retried usage mention once", async () => {
    const { ts, body } = await mention(w, "<@U0BOT> what can you do?");
    await w.slack.waitFor((c) => repliesIn(ts)(c).length === 1);
    const before = w.logs().split("ignored a repeated event").length - 1;
    const again = await postSlackEvent(w.url, w.signingSecret, body, {
      ...signHeaders(w.signingSecret, body, now() + 1),
      "x-slack-retry-num": "1",
      "x-slack-retry-reason": "http_error",
    });
    expect(again.status).toBe(200);
    await waitForLog("ignored a repeated event", before + 1);
    expect(repliesIn(ts)(w.slack.calls)).toHaveLength(1);
  });
});

describe("a mention in a job's thread", () => {
  it("is a follow-up of the /pr job whose parent the thread is: refused with the reason while it has no PR", async () => {
    const body = slashCommandBody({
      text: "acme/api [fu-no-pr] add a README",
      responseUrl: w.slack.responseUrl(),
    });
    expect((await postSlack(w.url, w.signingSecret, body)).status).toBe(200);
    const parent = (await w.slack.waitFor((c) => c.some(marked("[fu-no-pr]")))).find(marked("[fu-no-pr]"));
    const parentTs = String(parent?.response.ts);
    const rooms = await w.jobRoomCount();
    await mention(w, "<@U0BOT> also add a licence", { threadTs: parentTs });
    const refusal = (c: SlackCall[]) =>
      repliesIn(parentTs)(c).filter((r) => /I can't follow up on this thread/.test(String(r.args.text)));
    const reply = refusal(await w.slack.waitFor((c) => refusal(c).length === 1))[0];
    expect(String(reply?.args.text)).toContain("Start a new job with <@U0BOT> `owner/repo <what to do>`");
    expect(await w.jobRoomCount()).toBe(rooms);
  });

  it("finds the job of a mention's thread from its first reply", async () => {
    const first = await mention(w, "<@U0BOT> acme/api [fu-from-mention] add a README");
    await w.slack.waitFor((c) => c.some(marked("[fu-from-mention]")));
    const rooms = await w.jobRoomCount();
    await mention(w, "<@U0BOT> acme/api this is a follow-up prompt, not a new job", { threadTs: first.ts });
    const refusal = (c: SlackCall[]) =>
      repliesIn(first.ts)(c).filter((r) => /I can't follow up on this thread/.test(String(r.args.text)));
    await w.slack.waitFor((c) => refusal(c).length === 1);
    expect(await w.jobRoomCount()).toBe(rooms);
  });
});

describe("a bot token without channels:history", () => {
  let bare: SlackWorker;
  beforeAll(async () => {
    bare = await startSlackWorker({}, {}, [
      "commands",
      "chat:write",
      "chat:write.public",
      "app_mentions:read",
    ]);
  });
  afterAll(async () => {
    await bare?.close();
  });

  it("says so in the thread rather than guessing whether it is a job's", async () => {
    const root = bare.slack.userMessage({ channel: CHANNEL, user: "U0BOB", text: "a thread" });
    await mention(bare, "<@U0BOT> acme/api add a README", { threadTs: root });
    const replies = repliesIn(root);
    const reply = replies(await bare.slack.waitFor((c) => replies(c).length === 1))[0];
    expect(String(reply?.args.text)).toMatch(/missing the `channels:history` scope/);
    expect(bare.slack.calls.find((c) => c.method === "conversations.replies")?.response).toMatchObject({
      ok: false,
      error: "missing_scope",
      needed: "channels:history",
    });
    expect(await bare.jobRoomCount()).toBe(0);
  });
});
