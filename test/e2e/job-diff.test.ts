// GET /jobs/:id/diff through the real Worker on workerd, the real sandbox service (bubblewrap) and
// the stand-ins: a scripted agent modifies, adds, deletes, renames (git mv), chmods and writes a
// binary file; after `done` the diff shows each. A job that never publishes has no diff, an unknown
// one is not found, and a diff the service cannot make leaves the job publishing as before.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postCode, type System, startSystem } from "./harness";
import type { TappedRequest } from "./service-tap";
import { collectEvents, type ParsedEvent } from "./sse";

const FILES = {
  "src/app.js": "console.log('Hello');\n",
  "old.txt": "remove me\n",
  "scripts/build.sh": "#!/bin/sh\necho build\n",
  "docs/index.md": "# Docs\n\nRead me.\n",
};

const EDIT = [
  "set -e",
  "sed -i 's/Hello/Hello, <script>world<\\/script>/' src/app.js",
  "printf 'export const x = 1;\\n' > src/new.js",
  "rm old.txt",
  "git mv docs/index.md docs/guide.md",
  "chmod +x scripts/build.sh",
  "mkdir -p assets && printf '\\x00\\x01\\x02\\xff\\x89PNG' > assets/logo.bin",
].join("\n");

const script = (marker: string, command: string) => [
  { toolCalls: [{ name: "bash", arguments: { command } }] },
  { toolCalls: [{ name: "finish", arguments: { title: `Edit ${marker}`, summary: "Edits." } }] },
];

describe("GET /jobs/:id/diff", () => {
  let system: System;
  let failDiff = false;
  const hook = (request: TappedRequest) => {
    if (failDiff && /^\/v1\/sandboxes\/[^/]+\/diff/.test(request.path)) throw new Error("diff unavailable");
  };

  beforeAll(async () => {
    system = await startSystem({ serviceHook: hook });
    await system.github.createRepo("acme", "site", FILES);
  });
  afterAll(async () => {
    await system?.close();
  });

  async function run(marker: string, command: string, repo = "acme/site"): Promise<ParsedEvent[]> {
    system.openai.setScript(script(marker, command), marker);
    const response = await postCode(system, { repoUrl: repo, prompt: `${marker} edit the site` });
    expect(response.status).toBe(200);
    return (await collectEvents(response)).events;
  }
  const jobIdOf = (events: ParsedEvent[]) => String(events[0]?.data.jobId);
  const getDiff = (id: string) => fetch(`${system.url}/jobs/${id}/diff`);

  it("after done, shows the modification, addition, deletion, rename, mode change and binary file", async () => {
    const events = await run("[diff]", EDIT);
    expect(events.at(-1)?.data).toMatchObject({ status: "succeeded" });
    const id = jobIdOf(events);
    const response = await getDiff(id);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/x-diff; charset=utf-8");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    const diff = await response.text();
    expect(diff).toContain("diff --git a/src/app.js b/src/app.js\n");
    expect(diff).toMatch(/^-console\.log\('Hello'\);\n\+console\.log\('Hello, <script>world<\/script>'\);$/m);
    expect(diff).toMatch(/^diff --git a\/src\/new\.js b\/src\/new\.js\nnew file mode 100644\n/m);
    expect(diff).toContain("+export const x = 1;\n");
    expect(diff).toMatch(
      /^diff --git a\/old\.txt b\/old\.txt\ndeleted file mode 100644\n[\s\S]*?^-remove me$/m,
    );
    expect(diff).toMatch(
      /^diff --git a\/docs\/index\.md b\/docs\/guide\.md\nsimilarity index 100%\nrename from docs\/index\.md\nrename to docs\/guide\.md$/m,
    );
    expect(diff).toMatch(
      /^diff --git a\/scripts\/build\.sh b\/scripts\/build\.sh\nold mode 100644\nnew mode 100755$/m,
    );
    expect(diff).toContain("Binary files /dev/null and b/assets/logo.bin differ\n");
    // Stored once, when publishing started: one diff request, once the change set was read.
    const seen = system.tap?.seen.map((r) => r.path.split("?")[0]) ?? [];
    const base = `/v1/sandboxes/${id}`;
    expect(seen.filter((p) => p === `${base}/diff`)).toHaveLength(1);
    expect(seen.indexOf(`${base}/diff`)).toBeGreaterThan(seen.indexOf(`${base}/changes`));
    // A second read answers the same text.
    expect(await (await getDiff(id)).text()).toBe(diff);
  });

  it("is not found for an unknown job, and not available for a job that never published", async () => {
    for (const id of [randomUUID(), "not-a-job-id"]) {
      const unknown = await getDiff(id);
      expect(unknown.status).toBe(404);
      expect(unknown.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(await unknown.json()).toMatchObject({ status: 404, title: "Job not found" });
    }
    const events = await run("[never]", "true", "acme/nope");
    expect(events.at(-1)?.data).toMatchObject({ status: "failed" });
    const none = await getDiff(jobIdOf(events));
    expect(none.status).toBe(404);
    expect(none.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const problem = (await none.json()) as { title: string; detail: string };
    expect(problem.title).toBe("Diff not available");
    expect(problem.detail).toMatch(/appears when publishing starts/);
  });

  it("a diff the service cannot make is left out and the job still opens its PR", async () => {
    failDiff = true;
    try {
      const events = await run("[nodiff]", "echo more >> src/app.js");
      const types = events.map((e) => e.type);
      expect(types.slice(-2)).toEqual(["pr", "done"]);
      expect(events.at(-1)?.data).toMatchObject({ status: "succeeded" });
      const id = jobIdOf(events);
      const tries = system.tap?.seen.filter((r) => r.path.startsWith(`/v1/sandboxes/${id}/diff`)) ?? [];
      expect(tries.length).toBeGreaterThan(0);
      const none = await getDiff(id);
      expect(none.status).toBe(404);
      expect(((await none.json()) as { title: string }).title).toBe("Diff not available");
      expect(system.logs()).toContain(
        `"msg":"the job's diff was not stored; publishing goes on","job_id":"${id}"`,
      );
    } finally {
      failDiff = false;
    }
  });
});
