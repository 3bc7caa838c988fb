// A job id from outside becomes one safe name (directory, Modal sandbox name): a readable part of
// allowed characters and a hash, so odd or hostile ids never name a path outside the root.
import { describe, expect, it } from "vitest";
import { sandboxName } from "../../src/sandbox-service/job-name";

describe("sandboxName", () => {
  it("keeps a readable part and adds a hash of the whole id", () => {
    expect(sandboxName("job/with:odd chars")).toMatch(/^job-job-with-odd-chars-[0-9a-f]{12}$/);
    expect(sandboxName("0b9f5c1e-8a7d-4f2b-9c3e-1d2a3b4c5d6e")).toMatch(
      /^job-0b9f5c1e-8a7d-4f2b-9c3e-1d2a3b4c5d6e-[0-9a-f]{12}$/,
    );
  });

  it("is one path component of allowed characters under 64, whatever the id", () => {
    for (const id of ["..", "../../etc/passwd", "/", ".", "a\\b", "x".repeat(200), "ünï cødé", "a/../../b"]) {
      const name = sandboxName(id);
      expect(name).toMatch(/^job-[A-Za-z0-9._-]*-[0-9a-f]{12}$/);
      expect(name.length).toBeLessThan(64);
      expect(name).not.toContain("/");
    }
  });

  it("differs for ids that read the same", () => {
    expect(sandboxName("a/b")).not.toBe(sandboxName("a:b"));
    expect(sandboxName("x".repeat(41))).not.toBe(sandboxName("x".repeat(42)));
  });
});
