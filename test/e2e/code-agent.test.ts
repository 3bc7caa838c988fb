// Agent quality through the real Worker: the repository's own instructions and test command
// reach the system prompt, the agent is nudged to run the tests, and the PR body reports the
// commands that really ran; budgets from the request (refused above the ceilings) stop a run,
// which then opens an unfinished draft with its changes; a repo without drafts gets a ready PR.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postCode, type System, startSystem } from "./harness";
import { collectEvents, type ParsedEvent } from "./sse";

let system: System;
beforeAll(async () => {
  system = await startSystem({ vars: { AGENT_LIMIT_CEILINGS: '{"maxSteps":60}' } });
  await system.github.createRepo("acme", "lib", {
    "AGENTS.md": "Always add a changelog line in CHANGES.md.\n",
    Makefile: "test:\n\tsh test.sh\n",
    "test.sh": "grep -q fixed src/lib.txt\n",
    "src/lib.txt": "broken\n",
  });
  await system.github.createRepo("acme", "nodraft", { "README.md": "# x\n" }, { draftsSupported: false });
});
afterAll(async () => {
  await system?.close();
});

type Script = Parameters<System["openai"]["setScript"]>[0];

async function run(marker: string, script: Script, body: Record<string, unknown> = {}) {
  system.openai.setScript(script, marker);
  const response = await postCode(system, { repoUrl: "acme/lib", prompt: `${marker} fix the lib`, ...body });
  expect(response.status).toBe(200);
  return (await collectEvents(response)).events;
}

const call = (name: string, args: Record<string, unknown>) => ({ toolCalls: [{ name, arguments: args }] });
const finish = call("finish", { title: "Fix the lib", summary: "Fixed it." });
const fix = call("edit", { path: "src/lib.txt", old: "broken", new: "fixed" });
const done = (events: ParsedEvent[]) => events.at(-1)?.data as Record<string, unknown>;
const pullFor = (events: ParsedEvent[]) => {
  const jobId = (events[0]?.data as { jobId?: string } | undefined)?.jobId ?? "";
  return system.github.pulls.find((p) => p.head.endsWith(jobId.replace(/-/g, "").slice(0, 8)));
};

describe("verification and context", () => {
  it("puts AGENTS.md and `make test` in the prompt and reports the real exit codes, failing then passing", async () => {
    const events = await run("[verify]", [
      call("bash", { command: "make test" }),
      fix,
      call("bash", { command: "make test" }),
      finish,
    ]);
    expect(done(events)).toMatchObject({ status: "succeeded" });
    const first = system.openai.requests.find((r) => JSON.stringify(r.messages).includes("[verify]"));
    const systemPrompt = String(first?.messages[0]?.content);
    expect(systemPrompt).toContain("## The repository's AGENTS.md\nAlways add a changelog line");
    expect(systemPrompt).toContain("Tests: `make test`");
    const nudge = system.openai.requests
      .flatMap((r) => r.messages)
      .find((m) => m.role === "tool" && String(m.content).startsWith("Not finished yet"));
    expect(nudge).toBeUndefined();
    const body = pullFor(events)?.body ?? "";
    expect(body).toContain("- `make test` — failed (exit 2)\n- `make test` — passed");
    expect(body).toContain("**Request** from API token `e2e-suite`");
    expect(pullFor(events)?.draft).toBe(true);
  });

  it("asks for the tests when finish comes before any ran", async () => {
    const events = await run("[nudge]", [fix, finish, call("bash", { command: "make test" }), finish]);
    expect(done(events)).toMatchObject({ status: "succeeded" });
    const last = system.openai.requests.filter((r) => JSON.stringify(r.messages).includes("[nudge]")).at(-1);
    const nudge = last?.messages.find(
      (m) => m.role === "tool" && String(m.content).startsWith("Not finished yet"),
    );
    expect(String(nudge?.content)).toContain("`make test`");
    expect(pullFor(events)?.body).toContain("- `make test` — passed");
  });
});

describe("budgets", () => {
  it("refuses limits above the deployment's ceilings", async () => {
    const response = await postCode(system, { repoUrl: "acme/lib", prompt: "x", limits: { maxSteps: 61 } });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ detail: "limits.maxSteps: at most 60 on this deployment" });
  });

  it("a step budget that runs out with changes opens an unfinished draft", async () => {
    const events = await run("[budget-changes]", [fix, call("bash", { command: "true" }), finish], {
      limits: { maxSteps: 1 },
      draft: false,
    });
    const error = events.find((e) => e.type === "error")?.data as { code: string; message: string };
    expect(error.code).toBe("limit_exceeded");
    expect(error.message).toMatch(/all 1 steps[\s\S]*unfinished draft pull request: http/);
    expect(done(events)).toMatchObject({ status: "failed", prUrl: expect.stringMatching(/\/pull\/\d+$/) });
    const pr = pullFor(events);
    expect(pr?.draft).toBe(true);
    expect(pr?.title).toBe("WIP: [budget-changes] fix the lib");
    expect(pr?.body).toMatch(/^> \[!WARNING\]\n> \*\*Unfinished\.\*\* The agent used all 1 steps/);
    expect(events.find((e) => e.type === "pr")?.data).toMatchObject({ draft: true });
  });

  it("a token budget that runs out without changes fails with the reason and opens nothing", async () => {
    const before = system.github.pulls.length;
    const events = await run(
      "[budget-none]",
      [{ ...call("bash", { command: "true" }), usage: { promptTokens: 5000, completionTokens: 10 } }, finish],
      { limits: { maxTokens: 1000 } },
    );
    const error = events.find((e) => e.type === "error")?.data as { code: string; message: string };
    expect(error.code).toBe("limit_exceeded");
    expect(error.message).toMatch(/1,000-token budget.*No file was changed/);
    expect(done(events)).toMatchObject({ status: "failed" });
    expect(system.github.pulls.length).toBe(before);
  });
});

describe("drafts", () => {
  it("opens a ready PR where drafts are not supported, and says so", async () => {
    system.openai.setScript(
      [call("edit", { path: "README.md", old: "# x", new: "# y" }), finish],
      "[nodraft]",
    );
    const response = await postCode(system, {
      repoUrl: "acme/nodraft",
      prompt: "[nodraft] retitle",
      draft: true,
    });
    const events = (await collectEvents(response)).events;
    expect(done(events)).toMatchObject({ status: "succeeded" });
    const pr = system.github.pulls.find((p) => p.repo === "nodraft");
    expect(pr?.draft).toBe(false);
    expect(pr?.body).toMatch(/^_Opened as a ready pull request: this repository does not support draft/);
    const said = events.find(
      (e) => e.type === "status" && String(e.data.message).includes("does not support draft"),
    );
    expect(said).toBeDefined();
    expect(system.github.violations).toEqual([]);
  });
});
