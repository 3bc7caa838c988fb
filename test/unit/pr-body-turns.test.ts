// The PR body from every turn of a conversation: one turn renders today's body exactly; several
// render the latest summary first, the totals, and one section per turn (oldest first) with the
// request quoted, who asked, status, changes, checks, usage and links; a long conversation stays
// under GitHub's 65,536-character cap, the oldest turns shortened first, with a marker.
import { describe, expect, it } from "vitest";
import type { TurnRecord } from "../../src/worker/followups/types";
import { pullRequestBody } from "../../src/worker/jobs/pr-body";
import { type CurrentTurn, MAX_BODY_CHARS, pullRequestBodyOfTurns } from "../../src/worker/jobs/pr-turns";

const origin = "https://agent.example";

function current(over: Partial<CurrentTurn> = {}): CurrentTurn {
  return {
    summary: "Reject trailing semicolons too.",
    prompt: "also reject trailing semicolons",
    pageUrl: `${origin}/jobs/job-3`,
    changes: [
      {
        path: "src/parser.ts",
        status: "modified",
        mode: "100644",
        sha: "a".repeat(40),
        size: 10,
        binary: false,
      },
    ],
    requester: "github:octocat",
    checks: [{ command: "npm test", exitCode: 0 }],
    hasTests: true,
    usage: { steps: 5, promptTokens: 2000, completionTokens: 300, costUsd: 0.05 },
    ...over,
  };
}

function turn(n: number, over: Partial<TurnRecord> = {}): TurnRecord {
  return {
    jobId: `job-${n}`,
    pageUrl: `${origin}/jobs/job-${n}`,
    prompt: `request ${n}: make the parser strict`,
    requester: "U123",
    status: "succeeded",
    summary: `summary ${n}: the parser now rejects trailing commas`,
    files: ["src/parser.ts", "test/parser.test.ts"],
    checks: [
      { command: "npm test", exitCode: 1 },
      { command: "npm test", exitCode: 0 },
    ],
    usage: { steps: 4, promptTokens: 1000, completionTokens: 100, costUsd: 0.02 },
    headSha: String(n).repeat(40).slice(0, 40),
    ...over,
  };
}

describe("the PR body of one turn", () => {
  it("is today's body, exactly", () => {
    const input = current({
      requester: "api:e2e",
      unfinished: "The agent used all 5 steps before finishing.",
    });
    expect(pullRequestBodyOfTurns([], input)).toBe(pullRequestBody(input));
    expect(pullRequestBody(input)).toBe(
      [
        "> [!WARNING]",
        "> **Unfinished.** The agent used all 5 steps before finishing. This draft holds the changes made so far; review them with care.",
        "",
        "Reject trailing semicolons too.",
        "",
        "---",
        "**Request** from API token `e2e`",
        "",
        "> also reject trailing semicolons",
        "",
        "**Checks run by the agent**",
        "",
        "- `npm test` — passed",
        "",
        "<details><summary>Files changed (1)</summary>",
        "",
        "- `src/parser.ts` (modified)",
        "",
        "</details>",
        "",
        "Usage: 5 steps, 2,000 prompt + 300 completion tokens, about $0.05",
        "",
        `Opened by Modal Coding Agent · [job page](${origin}/jobs/job-3)`,
      ].join("\n"),
    );
  });

  it("names a GitHub requester by login", () => {
    expect(pullRequestBodyOfTurns([], current())).toContain("**Request** from @octocat on GitHub\n");
  });
});

describe("the PR body of several turns", () => {
  it("puts the latest summary first, then the totals and each turn oldest first", () => {
    const body = pullRequestBodyOfTurns([turn(1)], current({ pageUrl: `${origin}/jobs/job-2` }));
    expect(body.startsWith("Reject trailing semicolons too.\n\n---\n")).toBe(true);
    expect(body).toContain(
      "**2 turns** so far in this pull request's conversation, oldest first. In total: 9 steps, 3,000 prompt + 400 completion tokens, about $0.07.",
    );
    const first = body.indexOf("### Turn 1 · finished\n");
    const second = body.indexOf("### Turn 2 (latest) · finished\n");
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(first);
    const one = body.slice(first, second);
    expect(one).toContain(
      `**Request** from Slack user \`U123\` · [job page](${origin}/jobs/job-1) · [events](${origin}/jobs/job-1/events)\n\n> request 1: make the parser strict\n`,
    );
    expect(one).toContain("**What changed**\n\nsummary 1: the parser now rejects trailing commas");
    expect(one).toContain("- `npm test` — failed (exit 1)\n- `npm test` — passed");
    expect(one).toContain("**Files changed (2)**\n\n- `src/parser.ts`\n- `test/parser.test.ts`");
    expect(one).toContain(`Commit ${"1".repeat(40)}`);
    expect(one).toContain("Usage: 4 steps, 1,000 prompt + 100 completion tokens, about $0.02");
    const two = body.slice(second);
    expect(two).toContain(
      `**Request** from @octocat on GitHub · [job page](${origin}/jobs/job-2) · [events](${origin}/jobs/job-2/events)\n\n> also reject trailing semicolons\n`,
    );
    expect(two).toContain("**What changed:** the summary at the top.");
    expect(two).toContain("- `src/parser.ts` (modified)");
    expect(
      body.endsWith(`Opened by Modal Coding Agent, updated by turn 2 · [job page](${origin}/jobs/job-2)`),
    ).toBe(true);
    expect(body).not.toContain("shortened");
  });

  it("says which turn failed and why, and totals what was priced", () => {
    const failed = turn(2, {
      status: "failed",
      summary: null,
      files: [],
      checks: [],
      headSha: undefined,
      usage: { steps: 7, promptTokens: 500, completionTokens: 50 },
      error: { code: "branch_moved", message: "The branch moved and the commit could not be rebased." },
    });
    const body = pullRequestBodyOfTurns(
      [turn(1), failed],
      current({ unfinished: "The agent ran out of time before finishing." }),
    );
    expect(body).toMatch(/^> \[!WARNING\]\n> \*\*Unfinished\.\*\* The agent ran out of time/);
    expect(body).toContain(
      "In total: 16 steps, 3,500 prompt + 450 completion tokens, about $0.07 for the 2 turns priced.",
    );
    const two = body.slice(body.indexOf("### Turn 2 · failed, no commit\n"), body.indexOf("### Turn 3"));
    expect(two).toContain("> request 2: make the parser strict");
    expect(two).toContain(
      "**Why it failed:** `branch_moved` — The branch moved and the commit could not be rebased.",
    );
    expect(two).toContain("**What changed:** no summary: the agent did not finish this turn.");
    expect(two).toContain("**Checks run by the agent**\n\n- none\n");
    expect(two).toContain("**Files changed (0)**: none");
    expect(two).not.toContain("Commit ");
    expect(body).toContain("### Turn 3 (latest) · unfinished\n");
    expect(body).toContain(
      "**Unfinished:** The agent ran out of time before finishing.\n\n**What changed:** the summary at the top.",
    );
    expect(body.indexOf("### Turn 1 · finished")).toBeLessThan(body.indexOf("### Turn 2"));
  });

  it("keeps a request from closing or opening the body's own blocks", () => {
    const hostile = "</details>\n<details><summary>Approved by the maintainers</summary>\n## Looks good";
    const body = pullRequestBodyOfTurns([turn(1, { prompt: hostile, summary: "<details>" })], current());
    expect(body).toContain("**What changed**\n\n&lt;details>\n");
    expect(body).toContain(
      "> &lt;/details>\n> &lt;details>&lt;summary>Approved by the maintainers&lt;/summary>\n> ## Looks good",
    );
    expect(body.match(/<details>/g)).toHaveLength(1); // the latest turn's file list only
  });
});

describe("the PR body's bound", () => {
  const long = (n: number, what: string, chars: number) =>
    `${what} ${n} ${"lorem ipsum ".repeat(chars / 12)}`;
  const longTurn = (n: number) =>
    turn(n, {
      prompt: long(n, "request", 20_000),
      summary: long(n, "summary", 20_000),
      files: Array.from({ length: 50 }, (_, i) => `src/module-${n}/file-${i}.ts`),
      checks: Array.from({ length: 30 }, (_, i) => ({
        command: `npm test -- --shard ${i}`,
        exitCode: i % 2,
      })),
    });

  it("fits 50 long turns under 65,536 characters, the oldest shortened first", () => {
    const earlier = Array.from({ length: 49 }, (_, i) => longTurn(i + 1));
    const latest = current({ prompt: long(50, "request", 20_000), summary: long(50, "summary", 19_000) });
    const body = pullRequestBodyOfTurns(earlier, latest);
    expect(body.length).toBeLessThanOrEqual(MAX_BODY_CHARS);
    expect(body.length).toBeGreaterThan(MAX_BODY_CHARS - 10_000); // it uses the room it has
    // The latest turn is whole: its summary at the top, its section, its links.
    expect(body.startsWith(latest.summary.trim())).toBe(true);
    expect(body).toContain("### Turn 50 (latest) · finished");
    expect(body).toContain(`[events](${origin}/jobs/job-3/events)`);
    expect(body).toContain("In total: 201 steps, 51,000 prompt + 5,200 completion tokens, about $1.03.");
    // Shortened turns are the oldest; the marker counts them and those left out.
    const shown = (n: number) =>
      body.includes(`### Turn ${n} · `)
        ? "open"
        : body.includes(`<details><summary>Turn ${n} · `)
          ? "short"
          : body.includes(`- **Turn ${n}** · `)
            ? "line"
            : "left out";
    const levels = earlier.map((_t, i) => shown(i + 1));
    const rank = { "left out": 0, line: 1, short: 2, open: 3 };
    for (let i = 1; i < levels.length; i++) {
      expect(rank[levels[i] as keyof typeof rank]).toBeGreaterThanOrEqual(
        rank[levels[i - 1] as keyof typeof rank],
      );
    }
    const shortened = levels.filter((l) => l !== "open").length;
    expect(shortened).toBeGreaterThan(40);
    expect(body).toContain(
      `_${shortened} earlier turns are shortened here to fit GitHub's limit on a description; each turn's job page has all of it._`,
    );
    const omitted = levels.filter((l) => l === "left out").length;
    if (omitted > 0) expect(body).toContain(`_Turns 1 to ${omitted} are left out here._`);
    // Every turn still shown keeps its links.
    for (const [i, level] of levels.entries()) {
      if (level !== "left out") expect(body).toContain(`[events](${origin}/jobs/job-${i + 1}/events)`);
    }
  });

  it("collapses only as many of the oldest turns as it must", () => {
    const earlier = Array.from({ length: 6 }, (_, i) => longTurn(i + 1));
    const body = pullRequestBodyOfTurns(earlier, current());
    expect(body.length).toBeLessThanOrEqual(MAX_BODY_CHARS);
    expect(body).toContain("<details><summary>Turn 1 · finished · request 1 lorem ipsum");
    expect(body).toContain("### Turn 6 · finished\n");
    expect(body).toMatch(/_\d earlier turns are shortened here/);
  });

  it("leaves the oldest turns out when even one line each is too much", () => {
    const earlier = Array.from({ length: 599 }, (_, i) => turn(i + 1));
    const body = pullRequestBodyOfTurns(earlier, current());
    expect(body.length).toBeLessThanOrEqual(MAX_BODY_CHARS);
    const omitted = Number(/_Turns 1 to (\d+) are left out here\._/.exec(body)?.[1]);
    expect(omitted).toBeGreaterThan(100);
    expect(omitted).toBeLessThan(599);
    expect(body).toContain("_599 earlier turns are shortened here");
    expect(body).not.toContain(`- **Turn ${omitted}** · `);
    expect(body).toContain(
      `- **Turn ${omitted + 1}** · finished · from Slack user \`U123\` · [job page](${origin}/jobs/job-${omitted + 1})`,
    );
    expect(body).toContain("- **Turn 599** · ");
    expect(body).toContain("### Turn 600 (latest) · finished");
    expect(body).toContain("**600 turns** so far");
  });

  it("cuts even a single turn too long for GitHub, with a marker", () => {
    const body = pullRequestBodyOfTurns([], current({ prompt: "x".repeat(70_000) }));
    expect(body.length).toBeLessThanOrEqual(MAX_BODY_CHARS);
    expect(
      body.endsWith("_[… cut to fit GitHub's limit on a description: the job page has all of it]_"),
    ).toBe(true);
  });
});
