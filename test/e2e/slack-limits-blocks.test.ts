// The Slack thread stays inside Slack's limits whatever the job carries, on the real Worker: a /pr
// with a 20,000-character prompt (markup characters that grow when escaped, line breaks, emoji on
// the cut) and jobs that end with a 50 KB error message, in a thread and through response_url. The
// Slack stand-in refuses what Slack refuses (3,000 characters a section, 40,000 a message, …);
// here it records no refusal, and what was cut ends in an ellipsis with no half character.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SlackCall } from "../stand-ins/slack";
import { hasLoneSurrogate } from "../stand-ins/slack-blocks";
import { postSlack, slashCommandBody } from "./slack-requests";
import { jobIdOf, type RoomHandle, type SlackWorker, startSlackWorker } from "./slack-worker";

let w: SlackWorker;
beforeAll(async () => {
  w = await startSlackWorker();
});
afterAll(async () => {
  await w?.close();
});

/** `head`, then `pattern` repeated, padded to exactly `length` UTF-16 units. */
function filled(head: string, pattern: string, length: number): string {
  let text = head;
  while (text.length + pattern.length <= length) text += pattern;
  return text.padEnd(length, "x");
}

// `&` grows fivefold when escaped, so the parent's 600-character quote would be ~3,000 escaped;
// the emoji straddles units 598-599, where a cut of 599 units would split it.
const HEAD = "[long-prompt] ";
const PROMPT = filled(`${HEAD}${"&".repeat(598 - HEAD.length)}🚀`, "<Foo> & <Bar>\n🚀 ", 20_000);
const ERROR = `Error: ${"ünïcødé & <angle> 💥 at frame\n".repeat(2_000)}`.slice(0, 51_200);

const mentions = (marker: string) => (c: SlackCall) => JSON.stringify(c.args).includes(marker);
const texts = (call: SlackCall | undefined): string[] => [
  String(call?.args.text ?? ""),
  ...((call?.args.blocks ?? []) as { text?: { text?: string } }[]).map((b) => b.text?.text ?? ""),
];
const hasButton = (call: SlackCall | undefined) => JSON.stringify(call?.args.blocks).includes("cancel_job");
const refusals = () => w.slack.calls.filter((c) => c.status !== 200 || c.response.ok === false);

async function startPr(text: string, marker: string, channel?: string) {
  const responseUrl = w.slack.responseUrl();
  const body = slashCommandBody({ text, responseUrl, ...(channel ? { channel } : {}) });
  expect((await postSlack(w.url, w.signingSecret, body)).status).toBe(200);
  const isParent = (x: SlackCall) =>
    x.response.ok === true && x.args.blocks !== undefined && mentions(marker)(x);
  const parent = (await w.slack.waitFor((c) => c.some(isParent))).find(isParent);
  return { parent, room: await w.room(jobIdOf(parent?.args ?? {})), path: new URL(responseUrl).pathname };
}

async function fail(room: RoomHandle) {
  await room.append(1, { type: "status", data: { phase: "working", message: "Agent working on main" } }, "w");
  await room.complete(1, "failed", { error: { code: "sandbox_error", message: ERROR }, usage: { steps: 0 } });
}

describe("a 20,000-character prompt", () => {
  it("is quoted in the parent cut to fit, and the job renders without a Slack error", async () => {
    const { parent, room } = await startPr(`acme/api ${PROMPT}`, "[long-prompt]");
    expect(parent?.method).toBe("chat.postMessage");
    const quoted = texts(parent)[1] ?? "";
    expect(quoted.length).toBeLessThanOrEqual(3_000);
    expect(quoted.startsWith("*<https://github.com/acme/api|acme/api>*\n>[long-prompt] &amp;&amp;")).toBe(
      true,
    );
    expect(quoted.endsWith("&amp;…")).toBe(true);
    const title = `Fix ${"<Foo> & ".repeat(40)}`;
    await room.append(
      1,
      {
        type: "pr",
        data: {
          url: "https://github.com/acme/api/pull/9",
          number: 9,
          branch: "agent/x",
          title,
          draft: true,
          filesChanged: 1,
          additions: 1,
          deletions: 0,
        },
      },
      "pr",
    );
    await room.complete(1, "succeeded", { prUrl: "https://github.com/acme/api/pull/9", usage: { steps: 1 } });
    const ts = String(parent?.response.ts);
    const opened = (x: SlackCall) =>
      x.args.thread_ts === ts &&
      /^:white_check_mark: Pull request opened \(draft\)/.test(String(x.args.text));
    const calls = await w.slack.waitFor(
      (c) => c.some(opened) && c.some((x) => x.method === "chat.update" && x.args.ts === ts && !hasButton(x)),
    );
    const mine = calls.filter((c) => c.args.ts === ts || c.args.thread_ts === ts || c === parent);
    expect(String(calls.find(opened)?.args.text)).toContain("|#9 Fix &lt;Foo&gt; &amp; ");
    for (const text of mine.flatMap(texts)) expect(hasLoneSurrogate(text)).toBe(false);
    expect(refusals()).toEqual([]);
  });
});

describe("a 50 KB error message", () => {
  it("ends a thread with the reason cut to fit, in the parent and the final reply", async () => {
    const { parent, room } = await startPr("acme/api [big-error] do the thing", "[big-error]");
    await fail(room);
    const ts = String(parent?.response.ts);
    const calls = await w.slack.waitFor(
      (c) =>
        c.some((x) => x.args.thread_ts === ts && /^:x: The job failed/.test(String(x.args.text))) &&
        c.some((x) => x.method === "chat.update" && x.args.ts === ts && !hasButton(x)),
    );
    expect(refusals()).toEqual([]);
    const reply = calls.find((x) => x.args.thread_ts === ts && /^:x:/.test(String(x.args.text)));
    const replyText = String(reply?.args.text);
    expect(replyText.length).toBeLessThan(40_000);
    expect(replyText).toMatch(/^:x: The job failed: Error: ünïcødé &amp; &lt;angle&gt; 💥 at frame\n/);
    expect(replyText).toMatch(/… \(`sandbox_error`\)\n0 steps · /);
    const update = calls.filter((x) => x.method === "chat.update" && x.args.ts === ts).at(-1);
    const status = texts(update)[2] ?? "";
    expect(status.startsWith(":x: Failed: Error: ünïcødé &amp;")).toBe(true);
    expect(status.length).toBeLessThanOrEqual(3_000);
    expect(status.endsWith("…")).toBe(true);
    for (const text of [replyText, ...texts(update)]) expect(hasLoneSurrogate(text)).toBe(false);
  });

  it("ends through response_url when the bot cannot post in the channel", async () => {
    w.slack.fail("chat.postMessage", { error: "not_in_channel" });
    const { parent, room, path } = await startPr(
      "acme/api [big-private] do it",
      "[big-private]",
      "G0PRIVATE",
    );
    expect(parent?.method).toBe("response_url");
    await fail(room);
    const toUrl = (c: SlackCall[]) => c.filter((x) => x.method === "response_url" && x.args.url === path);
    const calls = toUrl(await w.slack.waitFor((c) => toUrl(c).length === 3));
    expect(calls.map((c) => c.response)).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    const outcome = calls.find((c) => c.args.replace_original === false);
    expect(String(outcome?.args.text)).toMatch(/^:x: The job failed: Error: ünïcødé/);
    const replaced = calls.find((c) => c.args.replace_original === true);
    expect(texts(replaced)[2]?.endsWith("…")).toBe(true);
    // The only refusal is the one the test queued.
    expect(refusals().map((c) => c.response.error)).toEqual(["not_in_channel"]);
  });
});
