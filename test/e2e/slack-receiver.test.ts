// POST /slack/events on the real Worker: Slack's signature rules (bad, stale → 401), replays (the
// same signed request again: answered as the first, and it does nothing), ssl_check and
// url_verification, usage for malformed /pr, a valid /pr acked first while its job goes on, and
// one job for a command Slack delivers twice.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SlackCall } from "../stand-ins/slack";
import { cancelClickBody, newTriggerId, postSlack, signHeaders, slashCommandBody } from "./slack-requests";
import { jobIdOf, type SlackWorker, startSlackWorker } from "./slack-worker";

let w: SlackWorker;
beforeAll(async () => {
  w = await startSlackWorker();
});
afterAll(async () => {
  await w?.close();
});

const command = (text: string, extra: { triggerId?: string; user?: string } = {}) =>
  slashCommandBody({ text, responseUrl: w.slack.responseUrl(), ...extra });

describe("request signing", () => {
  it("accepts a correctly signed request", async () => {
    const response = await postSlack(w.url, w.signingSecret, command("help"));
    expect(response.status).toBe(200);
  });

  it.each([
    ["a signature made with another secret", (body: string) => signHeaders("not-the-secret", body)],
    ["a signature with one digit changed", (body: string) => tamper(signHeaders(w.signingSecret, body))],
    ["no signature", () => ({ "x-slack-signature": "" })],
    ["a malformed signature", () => ({ "x-slack-signature": "v1=abc" })],
    ["no timestamp", () => ({ "x-slack-request-timestamp": "" })],
    ["a stale timestamp (6 minutes old)", (body: string) => signHeaders(w.signingSecret, body, now() - 360)],
    ["a timestamp 6 minutes ahead", (body: string) => signHeaders(w.signingSecret, body, now() + 360)],
  ])("refuses %s with 401", async (_name, headers) => {
    const body = command("help");
    const response = await postSlack(w.url, w.signingSecret, body, headers(body));
    expect(response.status).toBe(401);
  });

  it("refuses a signed body that was altered after signing", async () => {
    const body = command("help");
    const response = await fetch(`${w.url}/slack/events`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...signHeaders(w.signingSecret, body) },
      body: body.replace("help", "acme%2Fapi+rm+-rf"),
    });
    expect(response.status).toBe(401);
  });

  it("answers ssl_check and url_verification", async () => {
    const ssl = await postSlack(w.url, w.signingSecret, "ssl_check=1&token=legacy");
    expect(ssl.status).toBe(200);
    expect(await ssl.text()).toBe("");
    const body = JSON.stringify({ type: "url_verification", challenge: "c-123", token: "legacy" });
    const check = await postSlack(w.url, w.signingSecret, body, { "content-type": "application/json" });
    expect(await check.json()).toEqual({ challenge: "c-123" });
  });
});

describe("/pr usage", () => {
  it.each([
    ["", null],
    ["help", null],
    ["acme/api", /Say what to do after the repository/],
    ["acme add a README", /"acme" must be owner\/repo/],
    ["https://gitlab.com/acme/api add a README", /must be a repository on github\.com/],
    ["acme/../etc add a README", /must not contain \. or \.\. path segments/],
    ["acme/api@ add a README", /Nothing follows "@"/],
    ["acme/api@main..evil add a README", /"main\.\.evil" is not a valid branch name/],
    ["https://x:y@github.com/acme/api add a README", /must not contain credentials/],
  ])("/pr %j → ephemeral usage naming the problem", async (text, problem) => {
    const response = await postSlack(w.url, w.signingSecret, command(text));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { response_type: string; text: string };
    expect(body.response_type).toBe("ephemeral");
    expect(body.text).toContain("*Usage:* `/pr <owner/repo");
    if (problem) expect(body.text).toMatch(problem);
    else expect(body.text).not.toContain(":warning:");
  });
});

describe("a valid /pr", () => {
  it("is acked, empty, without waiting for any call the job makes, while the job goes on and posts its parent", async () => {
    // GitHub, the model and the sandbox service never answer here, and the parent post is held until
    // the ack is in: an ack that waited for any of them would never come. (Its latency: bench/slack-ack.ts.)
    const release = w.slack.hold("chat.postMessage");
    const response = await postSlack(w.url, w.signingSecret, command("acme/api@develop [ack] add a README"));
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("");
    release();
    const calls = await w.slack.waitFor((c) => c.some((x) => String(x.args.text).includes("acme/api")));
    const parent = calls.find((c) => c.method === "chat.postMessage");
    expect(parent?.args.channel).toBe("C0GENERAL");
    const blocksText = JSON.stringify(parent?.args.blocks);
    expect(blocksText).toContain("[ack] add a README");
    expect(blocksText).toContain("<@U0ALICE>");
    expect(blocksText).toContain("develop");
    expect(blocksText).toMatch(/\/jobs\/[0-9a-f-]{36}\|Live page>/);
    const jobId = jobIdOf(parent?.args ?? {});
    const snapshot = (await (await fetch(`${w.url}/jobs/${jobId}`)).json()) as Record<string, unknown>;
    expect(snapshot).toMatchObject({ status: "running", repo: "acme/api", baseBranch: "develop" });
  });

  it("starts one job when Slack delivers the same command twice (same trigger_id, retry headers)", async () => {
    const triggerId = newTriggerId();
    const rooms = await w.jobRoomCount();
    const body = command("acme/api [dup] add a README", { triggerId });
    const [first, retry, again] = await Promise.all([
      postSlack(w.url, w.signingSecret, body),
      postSlack(w.url, w.signingSecret, body, {
        ...signHeaders(w.signingSecret, body, now() + 1),
        "x-slack-retry-num": "1",
        "x-slack-retry-reason": "http_timeout",
      }),
      postSlack(w.url, w.signingSecret, body, signHeaders(w.signingSecret, body, now() + 2)),
    ]);
    expect([first.status, retry.status, again.status]).toEqual([200, 200, 200]);
    // All three name the same job (its id derives from the trigger_id), and its room starts it once:
    // one room and one parent, whenever the late deliveries land.
    await w.slack.waitFor((c) => c.some((x) => JSON.stringify(x.args.blocks ?? "").includes("[dup]")));
    expect(await w.jobRoomCount()).toBe(rooms + 1);
    const parents = w.slack.calls.filter(
      (c) => c.method === "chat.postMessage" && JSON.stringify(c.args.blocks ?? "").includes("[dup]"),
    );
    expect(parents).toHaveLength(1);
  });
});

describe("a replay (the same signed request again, inside the five-minute window)", () => {
  it("answers a replayed /pr (same signature, same body) as the first and starts no second job", async () => {
    const rooms = await w.jobRoomCount();
    const body = command("acme/api [replay] add a README");
    const headers = signHeaders(w.signingSecret, body);
    const first = await postSlack(w.url, w.signingSecret, body, headers);
    expect([first.status, await first.text()]).toEqual([200, ""]);
    const jobId = await parentJobId("[replay]");
    const replay = await postSlack(w.url, w.signingSecret, body, headers);
    expect([replay.status, await replay.text()]).toEqual([200, ""]);
    // Ignored after its ack (it would also name the same job, which its room starts only once).
    await waitForLog("ignored a replayed /pr");
    expect(await w.jobRoomCount()).toBe(rooms + 1);
    const parents = w.slack.calls.filter(
      (c) => c.method === "chat.postMessage" && JSON.stringify(c.args.blocks ?? "").includes("[replay]"),
    );
    expect(parents).toHaveLength(1);
    const snapshot = (await (await fetch(`${w.url}/jobs/${jobId}`)).json()) as { status: string };
    expect(snapshot.status).toBe("running");
  });

  it("answers a replayed Cancel press with 200 and does nothing for it", async () => {
    const body = command("acme/api [replay-cancel] add a README");
    expect((await postSlack(w.url, w.signingSecret, body)).status).toBe(200);
    const jobId = await parentJobId("[replay-cancel]");
    // Bob may not cancel Alice's job: each press he makes earns him one ephemeral refusal.
    const responseUrl = w.slack.responseUrl();
    const refusals = () =>
      w.slack.calls.filter((c) => c.method === "response_url" && c.args.url === new URL(responseUrl).pathname)
        .length;
    const click = cancelClickBody({ jobId, user: "U0BOB", responseUrl });
    const headers = signHeaders(w.signingSecret, click);
    expect((await postSlack(w.url, w.signingSecret, click, headers)).status).toBe(200);
    await w.slack.waitFor(() => refusals() === 1);
    expect((await postSlack(w.url, w.signingSecret, click, headers)).status).toBe(200);
    await waitForLog("ignored a replayed Cancel press");
    // The same press signed afresh (Slack never sends one twice, but it shows the replay was the
    // only thing ignored) is answered again.
    const fresh = signHeaders(w.signingSecret, click, now() + 1);
    expect((await postSlack(w.url, w.signingSecret, click, fresh)).status).toBe(200);
    await w.slack.waitFor(() => refusals() === 2);
    expect(w.logs().split("ignored a replayed Cancel press")).toHaveLength(2);
    const snapshot = (await (await fetch(`${w.url}/jobs/${jobId}`)).json()) as { status: string };
    expect(snapshot.status).toBe("running");
  });
});

/** The job id on the parent message of the job whose prompt holds `marker`, once it is posted. */
async function parentJobId(marker: string): Promise<string> {
  const mine = (c: SlackCall) =>
    c.method === "chat.postMessage" && JSON.stringify(c.args.blocks ?? "").includes(marker);
  const parent = (await w.slack.waitFor((calls) => calls.some(mine))).find(mine);
  return jobIdOf(parent?.args ?? {});
}

/** Resolves once the Worker has logged `text` (the only trace a replay that does nothing leaves). */
async function waitForLog(text: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!w.logs().includes(text)) {
    if (Date.now() > deadline) throw new Error(`the Worker never logged ${JSON.stringify(text)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}

function tamper(headers: Record<string, string>): Record<string, string> {
  const signature = headers["x-slack-signature"] ?? "";
  const last = signature.at(-1) === "0" ? "1" : "0";
  return { ...headers, "x-slack-signature": `${signature.slice(0, -1)}${last}` };
}
