// The Slack thread as a rendering of the job's log, on the real Worker: the test writes events
// into a /pr job's JobRoom (over RPC) and reads what reached the Slack stand-in. Edits of the parent
// stay ≥ 2 s apart through a burst of 50 steps, a 429 stops every call for its Retry-After,
// milestones and the failure reason land in the thread, and a bot barred from the channel falls
// back to the command's response_url and says so.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SlackCall } from "../stand-ins/slack";
import { postSlack, slashCommandBody } from "./slack-requests";
import { jobIdOf, type RoomHandle, type SlackWorker, startSlackWorker } from "./slack-worker";

let w: SlackWorker;
beforeAll(async () => {
  w = await startSlackWorker();
});
afterAll(async () => {
  await w?.close();
});

/** The slack stand-in's clock and workerd's may differ by a few ms; nothing here is closer. */
const CLOCK_SLACK_MS = 15;

interface Started {
  jobId: string;
  ts: string;
  room: RoomHandle;
}

const mentions = (marker: string) => (c: SlackCall) =>
  JSON.stringify(c.args.blocks ?? c.args.text ?? "").includes(marker);

async function startPr(marker: string): Promise<Started> {
  const body = slashCommandBody({
    text: `acme/api ${marker} do the thing`,
    responseUrl: w.slack.responseUrl(),
  });
  expect((await postSlack(w.url, w.signingSecret, body)).status).toBe(200);
  const calls = await w.slack.waitFor((c) =>
    c.some((x) => x.method === "chat.postMessage" && mentions(marker)(x)),
  );
  const parent = calls.find((x) => x.method === "chat.postMessage" && mentions(marker)(x));
  const jobId = jobIdOf(parent?.args ?? {});
  return { jobId, ts: String(parent?.response.ts), room: await w.room(jobId) };
}

const updatesOf = (ts: string) => (calls: SlackCall[]) =>
  calls.filter((c) => c.method === "chat.update" && c.args.ts === ts && c.status === 200);
const repliesTo = (ts: string) => (calls: SlackCall[]) =>
  calls.filter((c) => c.method === "chat.postMessage" && c.args.thread_ts === ts && c.status === 200);
const hasButton = (call: SlackCall | undefined) => JSON.stringify(call?.args.blocks).includes("cancel_job");

function step(n: number, command: string, exitCode = 0) {
  return {
    type: "step",
    data: { n, tool: "bash", input: JSON.stringify({ command }), output: "ok", exitCode, durationMs: 3 },
  };
}

describe("parent edits", () => {
  it("stay at most one per 2 s, steps coalesced, through a burst of 50 steps", async () => {
    const job = await startPr("[burst]");
    const updates = updatesOf(job.ts);
    for (let round = 0; round < 5; round++) {
      for (let i = 1; i <= 10; i++)
        await job.room.append(1, step(round * 10 + i, `echo ${round * 10 + i}`), `s${round}.${i}`);
      // The next edit is the pace-maker: no sleeping, and the burst spans several windows.
      await w.slack.waitFor((c) => updates(c).length > round);
    }
    await job.room.complete(1, "failed", { error: { code: "test_stop", message: "Stopped by the test" } });
    const calls = await w.slack.waitFor((c) => updates(c).some((u) => !hasButton(u)));
    const edits = updates(calls);
    expect(edits.length).toBeGreaterThanOrEqual(3);
    expect(edits.length).toBeLessThanOrEqual(7);
    for (let i = 1; i < edits.length; i++) {
      expect((edits[i]?.at ?? 0) - (edits[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(2_000 - CLOCK_SLACK_MS);
    }
    const last = JSON.stringify(edits.at(-1)?.args.blocks);
    expect(last).toContain("50 steps");
    expect(last).toContain("Stopped by the test");
  });

  it("honour a 429's Retry-After for every call, and the job carries on", async () => {
    const job = await startPr("[429]");
    w.slack.fail("chat.update", { status: 429, retryAfter: 3 });
    await job.room.append(1, step(1, "ls"), "s1");
    const limited = (
      await w.slack.waitFor((c) => c.some((x) => x.method === "chat.update" && x.status === 429))
    ).find((x) => x.method === "chat.update" && x.status === 429);
    // A milestone during the wait must wait too.
    await job.room.append(
      1,
      { type: "status", data: { phase: "working", message: "Agent working on main" } },
      "w",
    );
    const calls = await w.slack.waitFor(
      (c) => updatesOf(job.ts)(c).length > 0 && repliesTo(job.ts)(c).length > 0,
    );
    const retried = updatesOf(job.ts)(calls)[0];
    const reply = repliesTo(job.ts)(calls)[0];
    expect((retried?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(3_000 - CLOCK_SLACK_MS);
    expect((reply?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(3_000 - CLOCK_SLACK_MS);
    const snapshot = (await (await fetch(`${w.url}/jobs/${job.jobId}`)).json()) as { status: string };
    expect(snapshot.status).toBe("running");
    await job.room.complete(1, "failed", { error: { code: "test_stop", message: "done" } });
  });
});

describe("thread replies", () => {
  it("mark sandbox ready, test outcomes as they change, and end with the failure's reason and usage", async () => {
    const job = await startPr("[milestones]");
    await job.room.append(
      1,
      { type: "status", data: { phase: "working", message: "Agent working on main at abc1234" } },
      "w",
    );
    await job.room.append(1, step(1, "npm test", 1), "s1");
    await job.room.append(1, step(2, "npm test", 1), "s2");
    await job.room.append(1, step(3, "sed -i s/a/b/ x.js", 0), "s3");
    await job.room.append(1, step(4, "npm test", 0), "s4");
    await job.room.complete(1, "failed", {
      error: { code: "model_error", message: "The model API refused: quota exceeded" },
      usage: { steps: 4, promptTokens: 1200, completionTokens: 34 },
    });
    const calls = await w.slack.waitFor((c) => repliesTo(job.ts)(c).length >= 4);
    const texts = repliesTo(job.ts)(calls).map((c) => String(c.args.text));
    expect(texts).toHaveLength(4);
    expect(texts[0]).toMatch(/^:package: Sandbox ready\. Agent working on main at abc1234/);
    expect(texts[1]).toMatch(/Tests failed \(exit 1\): `npm test` \(step 1\)/);
    expect(texts[2]).toMatch(/Tests passed: `npm test` \(step 4\)/);
    expect(texts[3]).toMatch(/^:x: The job failed: The model API refused: quota exceeded \(`model_error`\)/);
    expect(texts[3]).toMatch(/4 steps · 1,200 prompt \+ 34 completion tokens · \d+s/);
    const final = await w.slack.waitFor((c) => updatesOf(job.ts)(c).some((u) => !hasButton(u)));
    expect(JSON.stringify(updatesOf(job.ts)(final).at(-1)?.args.blocks)).toContain("quota exceeded");
  });
});

describe("a channel the bot cannot post in", () => {
  it("falls back to response_url: the parent with a notice, then only the outcome", async () => {
    w.slack.fail("chat.postMessage", { error: "not_in_channel" });
    const responseUrl = w.slack.responseUrl();
    const path = new URL(responseUrl).pathname;
    const body = slashCommandBody({ text: "acme/api [private] do it", channel: "G0PRIVATE", responseUrl });
    expect((await postSlack(w.url, w.signingSecret, body)).status).toBe(200);
    const toUrl = (c: SlackCall[]) => c.filter((x) => x.method === "response_url" && x.args.url === path);
    const first = toUrl(await w.slack.waitFor((c) => toUrl(c).length === 1))[0];
    expect(first?.args.response_type).toBe("in_channel");
    expect(JSON.stringify(first?.args.blocks)).toContain("can't post in this channel");
    const room = await w.room(jobIdOf(first?.args ?? {}));
    await room.append(1, step(1, "ls"), "s1");
    await room.append(
      1,
      {
        type: "pr",
        data: {
          url: "https://github.com/acme/api/pull/7",
          number: 7,
          branch: "agent/x",
          title: "Do it",
          draft: false,
          filesChanged: 2,
          additions: 5,
          deletions: 1,
        },
      },
      "pr",
    );
    await room.complete(1, "succeeded", { prUrl: "https://github.com/acme/api/pull/7", usage: { steps: 1 } });
    const calls = toUrl(await w.slack.waitFor((c) => toUrl(c).length === 3));
    const replaced = calls.find((c) => c.args.replace_original === true);
    const outcome = calls.find((c) => c.args.replace_original === false);
    expect(hasButton(replaced)).toBe(false);
    expect(JSON.stringify(replaced?.args.blocks)).toContain("pull/7|#7 Do it");
    expect(outcome?.args.text).toMatch(
      /Pull request opened: <https:\/\/github.com\/acme\/api\/pull\/7\|#7 Do it>/,
    );
    expect(w.slack.calls.filter((c) => c.args.channel === "G0PRIVATE" && c.method === "chat.update")).toEqual(
      [],
    );
  });
});
