// The `view` and `edit` tools through the one dispatch point (`runTool`), on a Sandbox of our own
// interface: the editor table (unique, none, several matches; whitespace; CRLF; create), line
// ranges, bad arguments that say how to fix the call, and an edit that a retried step applies once.
import { describe, expect, it } from "vitest";
import { immediate } from "../../src/worker/agent/loop";
import { type Durable, runTool } from "../../src/worker/agent/tools";
import { memorySandbox } from "./memory-sandbox";

const SOURCE = "function a() {\n  return 1;\n}\n\nfunction b() {\n  return 1;\n}\n";

async function call(
  sandbox: ReturnType<typeof memorySandbox>,
  name: string,
  args: unknown,
  durable: Durable = immediate,
  maxFileBytes?: number,
) {
  const ctx = {
    sandbox,
    idempotencyKey: "job:1.0",
    commandTimeoutMs: 5000,
    ...(maxFileBytes === undefined ? {} : { maxFileBytes }),
  };
  const r = await runTool({ id: "c1", name, arguments: JSON.stringify(args) }, ctx, 20_000, durable, "1.0");
  if (r.kind !== "observation") throw new Error("expected an observation");
  return r.observation.output;
}

describe("edit", () => {
  it.each([
    {
      label: "a unique match is replaced",
      args: { path: "a.js", old: "function a() {\n  return 1;", new: "function a() {\n  return 2;" },
      output: /Edited a\.js: replaced 2 line\(s\) at line 1 with 2 line\(s\)/,
      after: SOURCE.replace("return 1", "return 2"),
    },
    {
      label: "no match says so and changes nothing",
      args: { path: "a.js", old: "return 3;", new: "return 4;" },
      output: /Error: `old` was not found in a\.js\. Use `view`/,
      after: SOURCE,
    },
    {
      label: "several matches name their count and lines",
      args: { path: "a.js", old: "  return 1;", new: "  return 2;" },
      output: /`old` occurs 2 times in a\.js \(at lines 2, 6\)\. Include more surrounding lines/,
      after: SOURCE,
    },
    {
      label: "a whitespace-only difference points at the near match",
      args: { path: "a.js", old: "function b() {\n    return 1;", new: "x" },
      output: /not found in a\.js\. It matches at line 5 if whitespace is ignored/,
      after: SOURCE,
    },
    {
      label: "old equal to new is refused",
      args: { path: "a.js", old: "return 1", new: "return 1" },
      output: /`old` and `new` are the same/,
      after: SOURCE,
    },
    {
      label: "a missing file says how to look",
      args: { path: "nope.js", old: "x", new: "y" },
      output: /nope\.js does not exist\. Use `bash` with `ls`/,
      after: SOURCE,
    },
  ])("$label", async ({ args, output, after }) => {
    const sandbox = memorySandbox({ "a.js": SOURCE });
    expect(await call(sandbox, "edit", args)).toMatch(output);
    expect(sandbox.text("a.js")).toBe(after);
  });

  it("edits a CRLF file with LF-written old/new, keeping CRLF", async () => {
    const sandbox = memorySandbox({ "w.txt": "one\r\ntwo\r\nthree\r\n" });
    expect(await call(sandbox, "edit", { path: "w.txt", old: "one\ntwo", new: "one\n2\n2b" })).toMatch(
      /Edited/,
    );
    expect(sandbox.text("w.txt")).toBe("one\r\n2\r\n2b\r\nthree\r\n");
  });

  it("creates a file when old is empty, refuses to when it exists", async () => {
    const sandbox = memorySandbox({ "a.js": SOURCE });
    expect(await call(sandbox, "edit", { path: "src/new.js", old: "", new: "x\n" })).toMatch(
      /Created src\/new\.js/,
    );
    expect(sandbox.text("src/new.js")).toBe("x\n");
    expect(await call(sandbox, "edit", { path: "a.js", old: "", new: "x" })).toMatch(/a\.js already exists/);
  });

  it("creates nothing over the publishing policy's per-file cap, counted in UTF-8 bytes", async () => {
    const sandbox = memorySandbox({});
    // Four characters, eight bytes: at the cap in bytes, one over it.
    const at = await call(sandbox, "edit", { path: "at.txt", old: "", new: "éé\n\n\n\n" }, immediate, 8);
    expect(at).toMatch(/Created at\.txt/);
    const over = await call(sandbox, "edit", { path: "over.txt", old: "", new: "ééé\n\n\n" }, immediate, 8);
    expect(over).toMatch(/^Error: over\.txt would be 9 bytes, over the 8 bytes .*PUBLISH_MAX_FILE_BYTES/);
    await expect(sandbox.readFile("over.txt")).rejects.toThrow();
    const big = "x".repeat(600 * 1024);
    expect(await call(sandbox, "edit", { path: "big.txt", old: "", new: big })).toMatch(
      /too large for `edit`.*write it with `bash`/,
    );
  });

  it("refuses binary files", async () => {
    const sandbox = memorySandbox({ "b.bin": new Uint8Array([1, 0, 2]) });
    expect(await call(sandbox, "edit", { path: "b.bin", old: "a", new: "b" })).toMatch(/binary file/);
  });

  it("tells the model how to fix bad arguments", async () => {
    const sandbox = memorySandbox({ "a.js": SOURCE });
    const out = await call(sandbox, "edit", { path: "a.js", old: "x" });
    expect(out).toMatch(/bad arguments for edit[\s\S]*new/);
    expect(out).toMatch(/Call edit with a JSON object matching: .*"required":\["path","old","new"\]/);
    expect(sandbox.writes).toEqual([]);
  });

  it("applies an edit once when the step is retried or replayed", async () => {
    const sandbox = memorySandbox({ "a.js": SOURCE });
    // A Workflow-like durable: a step that already completed returns its saved result.
    const saved = new Map<string, object>();
    const durable: Durable = async (name, fn) => {
      if (!saved.has(name)) saved.set(name, await fn());
      return saved.get(name) as never;
    };
    const args = { path: "a.js", old: "function b() {\n  return 1;", new: "function b() {\n  return 9;" };
    const first = await call(sandbox, "edit", args, durable);
    // The replay: the file already holds the edit, yet the saved step and its write are reused.
    const second = await call(sandbox, "edit", args, durable);
    expect(second).toBe(first);
    expect(sandbox.writes).toEqual(["a.js"]);
    // A retried write step writes the very same bytes: idempotent by content.
    saved.delete("write 1.0");
    await call(sandbox, "edit", args, durable);
    expect(sandbox.text("a.js")).toBe("function a() {\n  return 1;\n}\n\nfunction b() {\n  return 9;\n}\n");
    expect(sandbox.writes).toEqual(["a.js", "a.js"]);
  });
});

describe("view", () => {
  const big = Array.from({ length: 1000 }, (_, i) => `line ${i + 1}`).join("\n");

  it("numbers lines and pages through a large file", async () => {
    const sandbox = memorySandbox({ "big.txt": big });
    const first = await call(sandbox, "view", { path: "big.txt" });
    expect(first).toMatch(/^big\.txt: lines 1-300 of 1000\n {2}1\tline 1\n/);
    expect(first).toMatch(/\[700 more lines: call view with start=301\]$/);
    const range = await call(sandbox, "view", { path: "big.txt", start: 998, end: 1200 });
    expect(range).toBe("big.txt: lines 998-1000 of 1000\n 998\tline 998\n 999\tline 999\n1000\tline 1000");
  });

  it.each([
    [{ path: "big.txt", start: 2000 }, /has 1000 lines; `start` must be at most 1000/],
    [{ path: "big.txt", start: 10, end: 5 }, /`end` must be at least `start`/],
    [{ path: "dir" }, /is a directory.*use `ls`/],
    [{ path: "big.txt", start: 0 }, /bad arguments for view/],
  ])("answers %j with a fixable message", async (args, message) => {
    const sandbox = memorySandbox({ "big.txt": big, "dir/x": "x" });
    expect(await call(sandbox, "view", args)).toMatch(message);
  });
});

describe("edit size", () => {
  it("sends files too large for a durable step's result to bash", async () => {
    const sandbox = memorySandbox({ "big.txt": `${"x".repeat(600 * 1024)}\nend\n` });
    expect(await call(sandbox, "edit", { path: "big.txt", old: "end", new: "END" })).toMatch(
      /too large for `edit`.*use|change it with `bash`/,
    );
    expect(sandbox.writes).toEqual([]);
  });
});
