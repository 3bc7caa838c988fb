// Repositories the token cannot push to, through the real Worker: the job forks to the token's
// account, waits for the fork GitHub creates asynchronously, fast-forwards a stale fork, writes the
// branch there and opens the PR upstream from `login:branch`. The stand-in refuses git writes to
// the upstream, and every route is checked against GitHub's OpenAPI description.
import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postCode, type System, startSystem } from "./harness";
import { collectEvents, type ParsedEvent } from "./sse";

let system: System;
let events: ParsedEvent[];
let upstreamHead: string;

beforeAll(async () => {
  system = await startSystem({ github: { forkDelay: 1 } });
  await system.github.createRepo("upstream-org", "tool", { "README.md": "# tool\n" }, { pushable: false });
  // A fork made earlier, then upstream moved on: the job must sync it before branching.
  const octokit = new Octokit({ auth: system.github.token, baseUrl: system.github.apiUrl });
  await octokit.rest.repos.createFork({ owner: "upstream-org", repo: "tool" });
  upstreamHead = await system.github.commitFiles("upstream-org", "tool", "main", { "NEWS.md": "news\n" });
  system.openai.setScript(
    [
      {
        toolCalls: [{ name: "edit", arguments: { path: "README.md", old: "# tool", new: "# tool, forked" } }],
      },
      { toolCalls: [{ name: "finish", arguments: { title: "Retitle the README", summary: "Retitled." } }] },
    ],
    "[fork]",
  );
  const response = await postCode(system, {
    repoUrl: "upstream-org/tool",
    prompt: "[fork] retitle",
    draft: false,
  });
  events = (await collectEvents(response)).events;
});
afterAll(async () => {
  await system?.close();
});

describe("publishing through a fork", () => {
  it("opens the PR upstream from the fork's branch", () => {
    expect(events.at(-1)?.data).toMatchObject({ status: "succeeded" });
    const login = system.github.login;
    const pr = system.github.pulls[0];
    expect(pr).toMatchObject({ owner: "upstream-org", repo: "tool", headOwner: login, base: "main" });
    const prEvent = events.find((e) => e.type === "pr")?.data as { url: string; branch: string };
    expect(prEvent.url).toBe(`${system.github.webUrl}/upstream-org/tool/pull/${pr?.number}`);
    expect(prEvent.branch).toBe(pr?.head);
  });

  it("synced the stale fork first and put the commit on top of upstream's head", async () => {
    const login = system.github.login;
    const head = system.github.pulls[0]?.head ?? "";
    expect((await system.github.git(login, "tool", "rev-parse", "refs/heads/main")).trim()).toBe(
      upstreamHead,
    );
    expect((await system.github.git(login, "tool", "rev-parse", `refs/heads/${head}^`)).trim()).toBe(
      upstreamHead,
    );
    const readme = await system.github.git(login, "tool", "show", `refs/heads/${head}:README.md`);
    expect(readme).toBe("# tool, forked\n");
    const upstreamBranches = await system.github.git("upstream-org", "tool", "branch", "--list");
    expect(upstreamBranches.trim()).toBe("* main");
  });

  it("used createFork, waited for the fork, mergeUpstream, and wrote only to the fork", () => {
    const calls = system.github.calls;
    const ops = calls.map((c) => c.operationId);
    expect(ops).toContain("repos/create-fork");
    expect(ops).toContain("repos/merge-upstream");
    expect(calls.some((c) => c.operationId === "repos/get" && c.status === 404)).toBe(true);
    const writes = calls.filter((c) => c.path.includes("/git/") && c.method !== "GET");
    expect(writes.length).toBeGreaterThan(0);
    for (const w of writes) expect(w.path).toMatch(new RegExp(`^/repos/${system.github.login}/tool/`));
    expect(system.github.violations).toEqual([]);
  });
});
