// The /code spine end to end: the real Worker on workerd, the real sandbox service with
// bubblewrap, and the OpenAI and GitHub stand-ins driven by the real SDKs. A scripted agent edits
// a seeded repository; the test checks the event order, the PR GitHub recorded, that the branch's
// tree is exactly what the same edit makes in a plain clone, and that no secret reached the sandbox.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postCode, type System, startSystem } from "./harness";
import { collectEvents, type ParsedEvent } from "./sse";

// The scripted edit: an addition, a deletion, a rename, the executable bit, a binary file, a
// symlink (and a modification through the `edit` tool, which EDITED_BY_TOOL repeats in bash).
const EDIT = [
  "set -e",
  "mv docs/index.md docs/guide.md",
  "printf 'export const x = 1;\\n' > src/new.js",
  "rm old.txt",
  "chmod +x scripts/build.sh",
  "mkdir -p assets && printf '\\x00\\x01\\x02\\xff\\x89PNG' > assets/logo.bin",
  "ln -s ../README.md docs/readme-link",
].join("\n");

const EDITED_BY_TOOL = "sed -i 's/Hello/Hello, world/' src/app.js";

const PRICES = JSON.stringify({ "scripted-model": { inputPerMillion: 1000, outputPerMillion: 2000 } });

const FILES = {
  "README.md": "# api\n",
  "src/app.js": "console.log('Hello');\n",
  "old.txt": "remove me\n",
  "scripts/build.sh": "#!/bin/sh\necho build\n",
  "docs/index.md": "docs\n",
};

function trajectory(marker: string) {
  return [
    {
      content: "Let me look around.",
      toolCalls: [{ name: "bash", arguments: { command: "ls -la && cat src/app.js" } }],
      usage: { promptTokens: 100, completionTokens: 10 },
    },
    {
      toolCalls: [{ name: "bash", arguments: { command: "env" } }],
      usage: { promptTokens: 200, completionTokens: 5 },
    },
    {
      toolCalls: [{ name: "view", arguments: { path: "src/app.js" } }],
      usage: { promptTokens: 50, completionTokens: 5 },
    },
    {
      toolCalls: [
        {
          name: "edit",
          arguments: {
            path: "src/app.js",
            old: "console.log('Hello');",
            new: "console.log('Hello, world');",
          },
        },
      ],
      usage: { promptTokens: 60, completionTokens: 5 },
    },
    {
      toolCalls: [{ name: "bash", arguments: { command: EDIT } }],
      usage: { promptTokens: 300, completionTokens: 50 },
    },
    {
      toolCalls: [{ name: "bash", arguments: { command: "head -c 5000000 /dev/zero | tr '\\0' a" } }],
      usage: { promptTokens: 500, completionTokens: 15 },
    },
    {
      toolCalls: [
        {
          name: "finish",
          arguments: {
            title: `Greet the world ${marker}`,
            summary: "Says hello to the world.\n\nChecked with `node src/app.js`.",
          },
        },
      ],
      usage: { promptTokens: 400, completionTokens: 20 },
    },
  ];
}

const run = promisify(execFile);

/** Tree id of the same edit applied to a plain (unsandboxed) clone: what the branch must hold. */
async function expectedTree(system: System, repo: string): Promise<string> {
  // Asynchronous on purpose: the GitHub stand-in serving this clone lives in this process.
  const dir = await mkdtemp(join(tmpdir(), "expected-"));
  try {
    await run("git", ["clone", "-q", `${system.github.webUrl}/${repo}.git`, dir]);
    await run("bash", ["-c", `${EDIT}\n${EDITED_BY_TOOL}`], { cwd: dir });
    await run("git", ["add", "-A"], { cwd: dir });
    return (await run("git", ["write-tree"], { cwd: dir })).stdout.trim();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe.each([
  { stream: true, label: "streaming" },
  { stream: false, label: "non-streaming" },
])("POST /code with a $label model", ({ stream }) => {
  let system: System;
  let events: ParsedEvent[];
  const repo = "acme/api";

  beforeAll(async () => {
    system = await startSystem({ stream, vars: { MODEL_PRICES: PRICES } });
    await system.github.createRepo("acme", "api", FILES);
    system.openai.setScript(trajectory("[e2e]"), "[e2e]");
    const response = await postCode(system, {
      repoUrl: `${system.github.webUrl}/${repo}`,
      prompt: "[e2e] Greet the world",
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    events = (await collectEvents(response)).events;
  });
  afterAll(async () => {
    await system?.close();
  });

  it("streams job first, then phases in order, steps, pr and done last", () => {
    const types = events.map((e) => e.type);
    expect(types[0]).toBe("job");
    expect(types.at(-1)).toBe("done");
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    const phases = events.filter((e) => e.type === "status").map((e) => e.data.phase);
    expect(phases).toEqual(["queued", "provisioning", "cloning", "working", "publishing"]);
    expect(types.filter((t) => t === "step")).toHaveLength(6);
    expect(types.indexOf("message")).toBeGreaterThan(types.indexOf("status"));
    expect(types.slice(-2)).toEqual(["pr", "done"]);
    const done = events.at(-1)?.data as { status: string; prUrl: string; usage: Record<string, number> };
    expect(done.status).toBe("succeeded");
    // Cost at the configured price: 1610 × $1000/M + 110 × $2000/M.
    expect(done.usage).toMatchObject({ steps: 6, promptTokens: 1610, completionTokens: 110, costUsd: 1.83 });
    expect(done.prUrl).toBe(
      system.github.pulls[0] && `${system.github.webUrl}/${repo}/pull/${system.github.pulls[0].number}`,
    );
  });

  it("opens the PR GitHub records, with finish's title and a body holding summary, prompt and the job page's link", () => {
    expect(system.github.pulls).toHaveLength(1);
    const pr = system.github.pulls[0];
    const job = events[0]?.data as { jobId: string; statusUrl: string };
    expect(pr?.title).toBe("Greet the world [e2e]");
    expect(pr?.base).toBe("main");
    expect(pr?.head).toMatch(new RegExp(`^agent/greet-the-world-e2e-${job.jobId.slice(0, 8)}$`));
    expect(pr?.body).toContain("Says hello to the world.");
    expect(pr?.body).toContain("> [e2e] Greet the world");
    expect(pr?.body).toContain(`[job page](${job.statusUrl})`);
    expect(pr?.body).toContain("**Request** from API token `e2e-suite`");
    expect(pr?.body).toContain("Usage: 6 steps, 1,610 prompt + 110 completion tokens, about $1.83");
    expect(pr?.body).toContain("Files changed (8)");
    expect(pr?.body).toContain("- `docs/guide.md` (added)\n- `docs/index.md` (deleted)");
    expect(pr?.body).toContain("- `src/app.js` (modified)");
    expect(pr?.body).toContain("- none");
    const prEvent = events.find((e) => e.type === "pr")?.data;
    expect(prEvent).toMatchObject({
      number: pr?.number,
      branch: pr?.head,
      title: pr?.title,
      draft: true,
      filesChanged: 7,
    });
    expect(system.github.violations).toEqual([]);
  });

  it("puts exactly the scripted edit on the branch: modes, deletions, binary, symlink", async () => {
    const head = system.github.pulls[0]?.head ?? "";
    const tree = (await system.github.git("acme", "api", "rev-parse", `refs/heads/${head}^{tree}`)).trim();
    expect(tree).toBe(await expectedTree(system, repo));
    const diff = await system.github.git(
      "acme",
      "api",
      "diff",
      "--raw",
      "--no-renames",
      "main",
      `refs/heads/${head}`,
    );
    expect(diff).toMatch(/^:100644 100755 .* M\tscripts\/build\.sh$/m);
    expect(diff).toMatch(/^:000000 120000 .* A\tdocs\/readme-link$/m);
    expect(diff).toMatch(/ D\told\.txt$/m);
    const renames = await system.github.git(
      "acme",
      "api",
      "diff",
      "--raw",
      "-M",
      "main",
      `refs/heads/${head}`,
    );
    expect(renames).toMatch(/^:100644 100644 .* R100\tdocs\/index\.md\tdocs\/guide\.md$/m);
    const app = await system.github.git("acme", "api", "show", `refs/heads/${head}:src/app.js`);
    expect(app).toBe("console.log('Hello, world');\n");
  });

  it("gives the model the repository's context, read with the clone", () => {
    const system0 = system.openai.requests[0]?.messages.find((m) => m.role === "system");
    expect(String(system0?.content)).toContain("## The repository's README.md\n# api");
  });

  it("never lets a Worker secret into the sandbox", () => {
    const envStep = events.filter((e) => e.type === "step")[1]?.data as { output: string };
    expect(envStep.output).toMatch(/PATH=/);
    const everythingTheModelSaw = JSON.stringify(system.openai.requests);
    for (const [name, value] of Object.entries(system.secrets)) {
      for (const part of value.split(",")) {
        expect(everythingTheModelSaw, name).not.toContain(part);
        expect(JSON.stringify(events), name).not.toContain(part);
      }
    }
  });

  it("cuts 5 MB of output to head + tail before the model sees it", () => {
    const last = system.openai.requests.at(-1);
    const toolMessages = (last?.messages ?? []).filter((m) => m.role === "tool");
    const big = String(toolMessages.at(-1)?.content ?? "");
    expect(big.length).toBeLessThan(25_000);
    expect(big).toMatch(/characters cut|bytes cut/);
    expect(big).toMatch(/^exit code 0\naaaa/);
  });

  it("replays the log from GET /jobs/:id/events with Last-Event-ID and ?after=", async () => {
    const job = events[0]?.data as { jobId: string; statusUrl: string };
    const all = await collectEvents(await fetch(`${system.url}/jobs/${job.jobId}/events`));
    expect(all.events).toEqual(events);
    const fromHeader = await collectEvents(
      await fetch(`${system.url}/jobs/${job.jobId}/events`, { headers: { "last-event-id": "5" } }),
    );
    expect(fromHeader.events).toEqual(events.slice(5));
    const fromQuery = await collectEvents(
      await fetch(`${system.url}/jobs/${job.jobId}/events?after=${events.length - 1}`),
    );
    expect(fromQuery.events.map((e) => e.type)).toEqual(["done"]);
    const snapshot = (await (await fetch(job.statusUrl)).json()) as Record<string, unknown>;
    expect(snapshot).toMatchObject({
      jobId: job.jobId,
      status: "succeeded",
      phase: "done",
      repo,
      error: null,
    });
    expect(snapshot.pr).toMatchObject({ number: system.github.pulls[0]?.number });
  });

  it("leaves no sandbox behind", async () => {
    const list = await fetch(`${system.service.url}/v1/sandboxes`, {
      headers: { authorization: `Bearer ${system.secrets.SANDBOX_SERVICE_TOKEN}` },
    });
    expect(((await list.json()) as { sandboxes: unknown[] }).sandboxes).toEqual([]);
  });
});
