// The setup phase as every reader renders it from the same log: the snapshot's phase, the Slack
// thread's status line (with its icon) and the job page, where setup's commands are listed as
// "Setup n" and left out of the agent's step count.
import { describe, expect, it } from "vitest";
import type { JobEvent, LoggedEvent } from "../../src/protocol/events";
import { type JobRecord, snapshot } from "../../src/worker/jobs/log";
import { JobFacts } from "../../src/worker/page/job-facts";
import { foldPage } from "../../src/worker/page/page-view";
import { StepList } from "../../src/worker/page/step-list";
import { parentMessage } from "../../src/worker/slack/blocks";
import { foldView } from "../../src/worker/slack/view";

const job: JobRecord = {
  jobId: "00000000-0000-4000-8000-000000000001",
  repo: "acme/envy",
  baseBranch: null,
  prompt: "Fix it",
  createdAt: "2026-12-01T10:00:00.000Z",
  origin: "https://agent.example",
};

const log = (events: JobEvent[]): LoggedEvent[] =>
  events.map((e, i) => ({ ...e, seq: i + 1, at: "2026-12-01T10:00:01.000Z" }) as LoggedEvent);

const setupStep = (n: number, input: string): JobEvent => ({
  type: "step",
  data: { n, tool: "setup", input, output: "ok", exitCode: 0, durationMs: 1200 },
});

const events = log([
  { type: "status", data: { phase: "queued", message: "Job accepted" } },
  { type: "status", data: { phase: "cloning", message: "Cloning acme/envy" } },
  {
    type: "status",
    data: {
      phase: "setting-up",
      message: "Setting up the environment from .devcontainer/devcontainer.json.",
    },
  },
  setupStep(1, "npm ci"),
  setupStep(2, "fixture: curl -o vendor/x http://registry.test/x"),
]);

describe("the setting-up phase", () => {
  it("is the snapshot's phase while setup runs", () => {
    expect(snapshot(job, events).phase).toBe("setting-up");
  });

  it("shows in Slack's status line with its icon, setup's commands not counted as steps", () => {
    const view = foldView(job, events);
    expect(view.phase).toBe("setting-up");
    expect(view.steps).toBe(0);
    const message = parentMessage(view, "https://github.com", Date.parse(job.createdAt) + 5_000);
    const text = JSON.stringify(message.blocks);
    expect(text).toContain(":gear: Setting up the environment from .devcontainer/devcontainer.json.");
    expect(text).toContain("0 steps");
    const agent = foldView(job, [
      ...events,
      ...log([
        { type: "step", data: { n: 1, tool: "bash", input: "ls", output: "", exitCode: 0, durationMs: 5 } },
      ]),
    ]);
    expect(agent.steps).toBe(1);
  });

  it("is the job page's phase, with setup's commands listed as Setup n and not counted", () => {
    const view = foldPage(job, events, "https://github.com");
    const html = `${JobFacts({ view, now: Date.parse(job.createdAt) })}${StepList({ steps: view.steps })}`;
    expect(html).toContain('<span id="phase">setting-up</span>');
    expect(html).toMatch(/<span class="step-n">\s*Setup 1\s*<\/span>/);
    expect(html).toMatch(/<span class="step-n">\s*Setup 2\s*<\/span>/);
    expect(html).toContain('<dd id="step-count">0</dd>');
  });
});
