import { describe, expect, it } from "vitest";
import { CONTEXT_PATHS, repoContextFromClone } from "../../src/worker/agent/repo-context";

describe("the repo context of the files a clone read", () => {
  it("asks the clone for every instruction file and manifest", () => {
    expect(CONTEXT_PATHS).toEqual(
      expect.arrayContaining(["AGENTS.md", "README.md", "package.json", "go.mod"]),
    );
  });

  it("keeps instructions as excerpts and reads commands from whole manifests only", () => {
    const scripts = JSON.stringify({ scripts: { test: "vitest", lint: "biome ci ." } });
    const context = repoContextFromClone([
      { path: "AGENTS.md", text: "Use tabs.\n", truncated: false },
      { path: "README.md", text: `${"r".repeat(3_000)}`, truncated: true },
      { path: "package.json", text: scripts, truncated: false },
      { path: "Makefile", text: "test:\n\tmake it\n", truncated: true },
    ]);
    expect(context.instructions.map((i) => i.file)).toEqual(["AGENTS.md", "README.md"]);
    expect(context.instructions[0]?.text).toBe("Use tabs.");
    expect(context.instructions[1]?.text).toMatch(/\[… cut at 2500 characters …\]$/);
    // A manifest the clone cut short declares nothing: its commands cannot be read from a part.
    expect(context).toMatchObject({ testCommands: ["npm test"], lintCommands: ["npm run lint"] });
  });
});
