// The publishing policy on change sets: protected workflow paths, the file size cap, the file
// count cap, and symlinks that would point outside the repository.
import { describe, expect, it } from "vitest";
import type { Change } from "../../src/protocol/sandbox";
import { applyPolicy, escapes } from "../../src/worker/github/policy";

const policy = { allowWorkflows: false, maxFileBytes: 1024, maxFiles: 5 };
const file = (path: string, content: string | Buffer, mode: "100644" | "120000" = "100644"): Change => ({
  path,
  status: "added",
  mode,
  sha: "0".repeat(40),
  size: Buffer.from(content).length,
  binary: false,
  ...(mode === "120000" ? { target: Buffer.from(content).toString("utf8") } : {}),
});

describe("applyPolicy", () => {
  it("keeps ordinary changes and deletions", () => {
    const changes: Change[] = [file("src/a.ts", "x"), { path: "old.txt", status: "deleted" }];
    expect(applyPolicy(changes, policy)).toEqual({ ok: true, changes, refused: [] });
  });

  it("leaves out workflow files unless allowed, and says why", () => {
    const changes = [file(".github/workflows/ci.yml", "on: push"), file("README.md", "hi")];
    const outcome = applyPolicy(changes, policy);
    expect(outcome.ok && outcome.changes.map((c) => c.path)).toEqual(["README.md"]);
    expect(outcome.ok && outcome.refused[0]).toMatchObject({
      path: ".github/workflows/ci.yml",
      reason: /workflows/,
    });
    const deletion = applyPolicy([{ path: ".github/workflows/ci.yml", status: "deleted" }], policy);
    expect(deletion.ok && deletion.refused).toHaveLength(1);
    expect(applyPolicy(changes, { ...policy, allowWorkflows: true })).toMatchObject({
      ok: true,
      refused: [],
    });
    expect(applyPolicy([file(".github/CODEOWNERS", "x")], policy)).toMatchObject({ ok: true, refused: [] });
  });

  it("caps file size exactly at the limit", () => {
    expect(applyPolicy([file("at-limit.bin", Buffer.alloc(1024))], policy)).toMatchObject({ refused: [] });
    const over = applyPolicy([file("big.bin", Buffer.alloc(1025))], policy);
    expect(over.ok && over.refused[0]?.reason).toMatch(/over the 0\.0 MiB file size limit|file size limit/);
  });

  it("refuses a change set over the file count as a whole", () => {
    const many = Array.from({ length: 6 }, (_, i) => file(`f${i}.txt`, "x"));
    const outcome = applyPolicy(many, policy);
    expect(outcome).toMatchObject({ ok: false });
    expect(!outcome.ok && outcome.reason).toMatch(/6 files, over the limit of 5/);
  });

  it("refuses symlinks that leave the repository", () => {
    const outcome = applyPolicy(
      [
        file("docs/a", "../README.md", "120000"),
        file("docs/b", "../../etc/passwd", "120000"),
        file("c", "/etc/shadow", "120000"),
      ],
      policy,
    );
    expect(outcome.ok && outcome.refused.map((r) => r.path)).toEqual(["docs/b", "c"]);
  });
});

describe("escapes", () => {
  it.each([
    ["link", "target", false],
    ["a/link", "../b", false],
    ["a/b/link", "../../c", false],
    ["a/link", "../../x", true],
    ["link", "..", true],
    ["link", "/abs", true],
    ["a/link", "./../../x", true],
    ["a/link", "b/../../..", true],
  ])("%s → %s: %s", (link, target, out) => expect(escapes(link, target)).toBe(out));
});
