// The GitHub webhook's pure parts: the mention grammar (what counts as asking the bot, and the
// prompt left when the mention is taken out), a review's prompt, the reply's text for each ending,
// the delivery-derived job id, and the two config keys.
import { describe, expect, it } from "vitest";
import type { LoggedEvent } from "../../src/protocol/events";
import { parseConfig } from "../../src/worker/config";
import type { GitHubReply, TurnRecord } from "../../src/worker/followups/types";
import { deliveryJobId } from "../../src/worker/github/delivery-job-id";
import { replyMarker, replyText } from "../../src/worker/github/reply-text";
import { reviewPrompt } from "../../src/worker/github/review-prompt";
import { promptOf } from "../../src/worker/github/webhook-mention";

describe("the mention grammar", () => {
  it.each([
    ["@bot please fix the tests", "please fix the tests"],
    ["Hey @Bot, rename the helper", "Hey rename the helper"],
    ["@bot[bot]: do it", "do it"],
    ["first line\n@bot add a test\nthanks", "first line\nadd a test\nthanks"],
    ["@bot", ""],
  ])("%j asks for %j", (body, prompt) => {
    expect(promptOf(body, "bot")).toBe(prompt);
  });

  it.each([
    ["no mention at all"],
    ["@botany is a science"],
    ["mail me at dev@bot.example"],
    ["> @bot do it\n\nquoted, so not asked"],
    ["```\n@bot in a code block\n```"],
    ["the `@bot` command"],
    [""],
  ])("%j does not ask", (body) => {
    expect(promptOf(body, "bot")).toBeNull();
  });

  it("calls an App by its slug, with or without [bot]", () => {
    expect(promptOf("@my-app go", "my-app[bot]")).toBe("go");
    expect(promptOf("@my-app[bot] go", "my-app")).toBe("go");
  });
});

describe("a review's prompt", () => {
  it("carries every inline comment with its path, line and hunk", () => {
    const hunk = "@@ -1,2 +1,2 @@\n a\n-b\n+B";
    const text = reviewPrompt("please address these", [
      { path: "src/a.ts", line: 2, diffHunk: hunk, body: "why?" },
      { path: "old.ts", line: null, diffHunk: "@@ -1 +1 @@\n+```x", body: "gone" },
    ]);
    expect(text).toMatch(/^please address these\n\nThe review has 2 inline comments:/);
    expect(text).toContain(`### src/a.ts line 2\n\n\`\`\`diff\n${hunk}\n\`\`\`\n\nwhy?`);
    // A hunk holding a fence gets a longer one.
    expect(text).toContain(
      "### old.ts (outdated: no longer on a line)\n\n````diff\n@@ -1 +1 @@\n+```x\n````",
    );
  });

  it("asks to address the comments when the body only mentions the bot", () => {
    expect(reviewPrompt("", [{ path: "a", line: 1, diffHunk: "@@\n+x", body: "b" }])).toMatch(
      /^Address the review comments below\./,
    );
  });
});

describe("the reply", () => {
  const job = { jobId: "job-1", origin: "https://agent.example" };
  const reply: GitHubReply = { number: 3, source: { kind: "issue_comment", commentId: 9 }, login: "dev" };
  const usage = { steps: 1, promptTokens: 1, completionTokens: 1, durationMs: 1 };
  const at = "2026-01-01T00:00:00Z";
  const done = (status: "succeeded" | "failed" | "cancelled", seq = 9): LoggedEvent => ({
    type: "done",
    data: { status, usage },
    seq,
    at,
  });
  const turn = (extra: Partial<TurnRecord>): TurnRecord => ({
    jobId: "job-1",
    pageUrl: "https://agent.example/jobs/job-1",
    prompt: "p",
    status: "succeeded",
    summary: null,
    files: [],
    checks: [],
    usage: { steps: 1, promptTokens: 1, completionTokens: 1 },
    ...extra,
  });
  const pr: LoggedEvent = {
    type: "pr",
    data: {
      url: "https://github.com/acme/api/pull/3",
      number: 3,
      branch: "agent/x",
      title: "t",
      draft: true,
      filesChanged: 1,
      additions: 1,
      deletions: 0,
      headSha: "abcdef1234567890",
      updated: true,
    },
    seq: 8,
    at,
  };

  it("is nothing before done", () => {
    expect(replyText(job, reply, [pr], null)).toBeNull();
  });

  it("links the new commit and gives the summary", () => {
    const text = replyText(job, reply, [pr, done("succeeded")], turn({ summary: "Renamed it." })) ?? "";
    expect(text).toMatch(
      /^@dev Done: pushed \[`abcdef1`\]\(https:\/\/github\.com\/acme\/api\/pull\/3\/commits\/abcdef1234567890\)/,
    );
    expect(text).toContain("Renamed it.");
    expect(text).toContain("[Job](https://agent.example/jobs/job-1)");
    expect(text.endsWith(replyMarker("job-1"))).toBe(true);
  });

  it("says when nothing changed, and why a turn failed or was cancelled", () => {
    const note: LoggedEvent = { type: "message", data: { text: "No file changed." }, seq: 7, at };
    expect(replyText(job, reply, [note, done("succeeded")], turn({}))).toMatch(
      /^@dev Done, and nothing changed: there is no new commit\.\n\nNo file changed\./,
    );
    const error: LoggedEvent = {
      type: "error",
      data: { code: "branch_moved", message: "Someone pushed." },
      seq: 7,
      at,
    };
    expect(replyText(job, reply, [error, done("failed")], null)).toMatch(
      /^@dev This follow-up failed: Someone pushed\.\n\nError code: `branch_moved`/,
    );
    expect(replyText(job, reply, [done("cancelled")], null)).toMatch(/^@dev This follow-up was cancelled\./);
  });
});

describe("the delivery's job id", () => {
  it("is a UUIDv4, the same for a redelivery, another for another delivery or secret", async () => {
    const a = await deliveryJobId("secret", "d-1");
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await deliveryJobId("secret", "d-1")).toBe(a);
    expect(await deliveryJobId("secret", "d-2")).not.toBe(a);
    expect(await deliveryJobId("other", "d-1")).not.toBe(a);
  });
});

describe("webhook config", () => {
  it("reads the secret and the mention name, and refuses a name that is no login", () => {
    const result = parseConfig({ GITHUB_WEBHOOK_SECRET: "s", GITHUB_BOT_MENTION: "@my-app[bot]" });
    expect(result.ok && result.config.github.webhook).toEqual({ secret: "s", mention: "my-app[bot]" });
    const unset = parseConfig({});
    expect(unset.ok && unset.config.github.webhook).toEqual({ secret: undefined, mention: null });
    expect(parseConfig({ GITHUB_BOT_MENTION: "two words" })).toMatchObject({
      ok: false,
      problems: [expect.stringMatching(/^GITHUB_BOT_MENTION: must be a GitHub login/)],
    });
  });
});
