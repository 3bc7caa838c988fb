// The publishing policy through the real job path: a workflow file and an escaping symlink are
// left out of the PR and named in its body; a change made only of refused files opens no PR and
// ends the job with the reason.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postCode, type System, startSystem } from "./harness";
import { collectEvents } from "./sse";

let system: System;
beforeAll(async () => {
  system = await startSystem();
  await system.github.createRepo("acme", "policy", { "README.md": "# policy\n" });
});
afterAll(async () => {
  await system?.close();
});

const bash = (command: string) => ({ toolCalls: [{ name: "bash", arguments: { command } }] });
const finish = (title: string) => ({ toolCalls: [{ name: "finish", arguments: { title, summary: title } }] });

async function run(marker: string, command: string) {
  system.openai.setScript([bash(command), finish(`Policy ${marker}`)], marker);
  const response = await postCode(system, { repoUrl: "acme/policy", prompt: `${marker} change things` });
  return (await collectEvents(response)).events;
}

describe("publishing policy", () => {
  it("leaves refused files out of the branch and names them in the PR body", async () => {
    const events = await run(
      "[mixed]",
      "mkdir -p .github/workflows src && echo 'on: push' > .github/workflows/steal.yml && echo ok > src/ok.txt && ln -s /etc/passwd src/passwd",
    );
    expect(events.at(-1)?.data).toMatchObject({ status: "succeeded" });
    const pr = system.github.pulls.find((p) => p.title === "Policy [mixed]");
    expect(pr?.body).toMatch(/Left out by the publishing policy/);
    expect(pr?.body).toContain("`.github/workflows/steal.yml`");
    expect(pr?.body).toMatch(/`src\/passwd`: a symlink pointing outside the repository/);
    const files = await system.github.git(
      "acme",
      "policy",
      "ls-tree",
      "-r",
      "--name-only",
      `refs/heads/${pr?.head}`,
    );
    expect(files.trim().split("\n").sort()).toEqual(["README.md", "src/ok.txt"]);
    expect(system.github.violations).toEqual([]);
  });

  it("opens no PR when every change is refused, and says which and why", async () => {
    const before = system.github.pulls.length;
    const events = await run(
      "[onlyci]",
      "mkdir -p .github/workflows && echo 'on: push' > .github/workflows/ci.yml",
    );
    const error = events.find((e) => e.type === "error")?.data;
    expect(error).toMatchObject({ code: "policy_refused" });
    expect(String(error?.message)).toContain(".github/workflows/ci.yml");
    expect(events.at(-1)?.data).toMatchObject({ status: "failed" });
    expect(system.github.pulls.length).toBe(before);
  });
});
