// Per-user abuse limits on Slack's /pr through the real Worker: a user over JOBS_PER_MINUTE gets an
// ephemeral refusal saying when to try again and no job starts; another user is unaffected, and a
// retried delivery of a command already admitted is not counted twice, and a replay (the refused
// request itself, sent again) is ignored after its ack rather than refused a second time.
import { afterAll, beforeAll, expect, it } from "vitest";
import { newTriggerId, postSlack, signHeaders, slashCommandBody } from "./slack-requests";
import { type SlackWorker, startSlackWorker } from "./slack-worker";

let w: SlackWorker;
beforeAll(async () => {
  w = await startSlackWorker({ JOBS_PER_MINUTE: "2" });
});
afterAll(async () => {
  await w?.close();
});

const prBody = (user: string, triggerId = newTriggerId()) =>
  slashCommandBody({ text: "acme/api add a test", user, triggerId, responseUrl: w.slack.responseUrl() });
const pr = (user: string, triggerId = newTriggerId()) =>
  postSlack(w.url, w.signingSecret, prBody(user, triggerId));
const refusals = (calls: { args: Record<string, unknown> }[]) =>
  calls.filter((x) => /at most 2 jobs a minute/.test(String(x.args.text))).length;

it("refuses a user's third /pr in a minute with an ephemeral reply, and only that user's", async () => {
  const first = newTriggerId();
  for (const trigger of [first, newTriggerId()]) expect((await pr("U0ALICE", trigger)).status).toBe(200);
  await w.slack.waitFor((calls) => calls.filter((c) => c.method === "chat.postMessage").length >= 2);
  expect(await w.jobRoomCount()).toBe(2);
  // Slack delivering the first command again is the same job, not a third one.
  expect((await pr("U0ALICE", first)).status).toBe(200);

  const third = prBody("U0ALICE");
  const signed = signHeaders(w.signingSecret, third);
  expect((await postSlack(w.url, w.signingSecret, third, signed)).status).toBe(200);
  const calls = await w.slack.waitFor((c) => refusals(c) === 1);
  const refusal = calls.find((c) => /at most 2 jobs a minute/.test(String(c.args.text)));
  expect(refusal?.method).toBe("response_url");
  expect(refusal?.args.response_type).toBe("ephemeral");
  expect(String(refusal?.args.text)).toMatch(/try again in \d+ s/);
  expect(await w.jobRoomCount()).toBe(2);

  // The refused request replayed: answered like the original, then ignored (no second refusal).
  const replay = await postSlack(w.url, w.signingSecret, third, signed);
  expect([replay.status, await replay.text()]).toEqual([200, ""]);
  await waitForLog("ignored a replayed /pr");
  expect(refusals(w.slack.calls)).toBe(1);
  expect(await w.jobRoomCount()).toBe(2);

  expect((await pr("U0BOB")).status).toBe(200);
  await w.slack.waitFor((c) => c.filter((x) => x.method === "chat.postMessage").length >= 3);
  expect(await w.jobRoomCount()).toBe(3);
});

/** Resolves once the Worker has logged `text` (the only trace a replay that does nothing leaves). */
async function waitForLog(text: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!w.logs().includes(text)) {
    if (Date.now() > deadline) throw new Error(`the Worker never logged ${JSON.stringify(text)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
