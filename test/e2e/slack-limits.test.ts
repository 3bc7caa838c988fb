// Per-user abuse limits on Slack's /pr through the real Worker: a user over JOBS_PER_MINUTE gets an
// ephemeral refusal saying when to try again and no job starts; another user is unaffected, and a
// retried delivery of a command already admitted is not counted twice.
import { afterAll, beforeAll, expect, it } from "vitest";
import { newTriggerId, postSlack, slashCommandBody } from "./slack-requests";
import { type SlackWorker, startSlackWorker } from "./slack-worker";

let w: SlackWorker;
beforeAll(async () => {
  w = await startSlackWorker({ JOBS_PER_MINUTE: "2" });
});
afterAll(async () => {
  await w?.close();
});

const pr = (user: string, triggerId = newTriggerId()) =>
  postSlack(
    w.url,
    w.signingSecret,
    slashCommandBody({ text: "acme/api add a test", user, triggerId, responseUrl: w.slack.responseUrl() }),
  );

it("refuses a user's third /pr in a minute with an ephemeral reply, and only that user's", async () => {
  const first = newTriggerId();
  for (const trigger of [first, newTriggerId()]) expect((await pr("U0ALICE", trigger)).status).toBe(200);
  await w.slack.waitFor((calls) => calls.filter((c) => c.method === "chat.postMessage").length >= 2);
  expect(await w.jobRoomCount()).toBe(2);
  // Slack delivering the first command again is the same job, not a third one.
  expect((await pr("U0ALICE", first)).status).toBe(200);

  expect((await pr("U0ALICE")).status).toBe(200);
  const calls = await w.slack.waitFor((c) =>
    c.some((x) => /at most 2 jobs a minute/.test(String(x.args.text))),
  );
  const refusal = calls.find((c) => /at most 2 jobs a minute/.test(String(c.args.text)));
  expect(refusal?.method).toBe("response_url");
  expect(refusal?.args.response_type).toBe("ephemeral");
  expect(String(refusal?.args.text)).toMatch(/try again in \d+ s/);
  expect(await w.jobRoomCount()).toBe(2);

  expect((await pr("U0BOB")).status).toBe(200);
  await w.slack.waitFor((c) => c.filter((x) => x.method === "chat.postMessage").length >= 3);
  expect(await w.jobRoomCount()).toBe(3);
});
