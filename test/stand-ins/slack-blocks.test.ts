// The Slack stand-in refuses what Slack refuses, driven by the real Web API client (and, for
// response URLs, by our own `slackCalls`): Block Kit beyond its limits is `invalid_blocks` with a
// pointer to the offending field, text past 40,000 characters is `msg_too_long`, on
// chat.postMessage, chat.update, chat.postEphemeral and response_url alike; at the limits all pass.
import type { types } from "@slack/bolt";
import { webApi } from "@slack/bolt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SlackCallError, slackCalls } from "../../src/worker/slack/calls";
import { type SlackStandIn, startSlackStandIn } from "./slack";

const quiet = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => webApi.LogLevel.ERROR,
  setName() {},
};

let slack: SlackStandIn;
let client: webApi.WebClient;
beforeAll(async () => {
  slack = await startSlackStandIn();
  client = new webApi.WebClient(slack.token, {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
    // The client logs each refusal's messages; the assertions below read them instead.
    logger: quiet,
  });
});
afterAll(() => slack.close());

const section = (text: string): types.KnownBlock => ({ type: "section", text: { type: "mrkdwn", text } });
const header = (text: string): types.KnownBlock => ({ type: "header", text: { type: "plain_text", text } });
const context = (n: number): types.KnownBlock => ({
  type: "context",
  elements: Array.from({ length: n }, (_, i) => ({ type: "mrkdwn", text: `item ${i}` })),
});
const button = (text: string): types.KnownBlock => ({
  type: "actions",
  elements: [{ type: "button", action_id: "cancel_job", value: "v", text: { type: "plain_text", text } }],
});

/** The platform error's data for a refused post, or undefined when Slack took it. */
async function post(args: { text?: string; blocks?: types.KnownBlock[] }) {
  try {
    await client.chat.postMessage({ channel: "C0GENERAL", text: "fallback", ...args });
    return undefined;
  } catch (error) {
    if (error instanceof webApi.WebAPIPlatformError) return error.data;
    throw error;
  }
}

describe("chat.postMessage", () => {
  it("takes a message exactly at every limit", async () => {
    const blocks = [
      section("x".repeat(3_000)),
      header("h".repeat(150)),
      context(10),
      button("b".repeat(75)),
      ...Array.from({ length: 46 }, () => ({ type: "divider" }) as const),
    ];
    expect(blocks).toHaveLength(50);
    expect(await post({ text: "t".repeat(40_000), blocks })).toBeUndefined();
  });

  it.each([
    [
      "a section's text",
      [section("x".repeat(3_001))],
      "must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
    ],
    [
      "a header's text",
      [section("ok"), header("h".repeat(151))],
      "must be less than 151 characters [json-pointer:/blocks/1/text/text]",
    ],
    [
      "a button's text",
      [button("b".repeat(76))],
      "must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]",
    ],
    [
      "a context's elements",
      [context(11)],
      "no more than 10 items allowed [json-pointer:/blocks/0/elements]",
    ],
    [
      "the number of blocks",
      Array.from({ length: 51 }, () => section("s")),
      "no more than 50 items allowed [json-pointer:/blocks]",
    ],
    [
      "an empty section text",
      [section("")],
      "must be more than 0 characters [json-pointer:/blocks/0/text/text]",
    ],
    [
      "half a surrogate pair",
      [section("cut \ud83d")],
      "must be valid UTF-16 (a lone surrogate) [json-pointer:/blocks/0/text/text]",
    ],
  ])("refuses %s with invalid_blocks and a pointer", async (_what, blocks, problem) => {
    const data = await post({ blocks });
    expect(data).toMatchObject({ ok: false, error: "invalid_blocks", errors: [problem] });
    expect(data?.response_metadata?.messages).toEqual([`[ERROR] ${problem}`]);
  });

  it("refuses text over 40,000 characters as msg_too_long", async () => {
    expect(await post({ text: "t".repeat(40_001) })).toMatchObject({ ok: false, error: "msg_too_long" });
  });
});

describe("chat.update and chat.postEphemeral", () => {
  it("refuse the same payloads, and a refused update leaves the message as it was", async () => {
    const posted = await client.chat.postMessage({
      channel: "C0GENERAL",
      text: "v1",
      blocks: [section("v1")],
    });
    const ts = String(posted.ts);
    const update = client.chat.update({
      channel: "C0GENERAL",
      ts,
      text: "v2",
      blocks: [section("x".repeat(3_001))],
    });
    await expect(update).rejects.toMatchObject({ data: { error: "invalid_blocks" } });
    const fine = await client.chat.update({ channel: "C0GENERAL", ts, text: "v3", blocks: [section("v3")] });
    expect(fine.ok).toBe(true);
    expect(slack.calls.filter((c) => c.method === "chat.update").map((c) => c.response.ok)).toEqual([
      false,
      true,
    ]);
    const ephemeral = client.chat.postEphemeral({
      channel: "C0GENERAL",
      user: "U0ALICE",
      text: "t".repeat(40_001),
    });
    await expect(ephemeral).rejects.toMatchObject({ data: { error: "msg_too_long" } });
  });
});

describe("response_url", () => {
  it("answers ok: false in the body, which our caller reports as a failure", async () => {
    const calls = slackCalls(client);
    const refused = calls.respond(slack.responseUrl(), { text: "x", blocks: Array(51).fill(section("s")) });
    await expect(refused).rejects.toBeInstanceOf(SlackCallError);
    await expect(refused).rejects.toThrow("response_url: invalid_blocks");
    await calls.respond(slack.responseUrl(), { text: "x", blocks: [section("fine")] });
    const answers = slack.calls.filter((c) => c.method === "response_url").map((c) => c.response);
    expect(answers).toEqual([expect.objectContaining({ ok: false, error: "invalid_blocks" }), { ok: true }]);
  });
});
