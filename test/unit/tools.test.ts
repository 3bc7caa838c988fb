// The tool dispatcher: validation turns bad calls into observations, long output is cut to
// head + tail, finish is recognised. The sandbox here is a plain object implementing our own
// `Sandbox` interface (our seam, not a vendor's), recording what it was asked to run.
import { describe, expect, it } from "vitest";
import { dispatch, toolSpecs } from "../../src/worker/agent/tools";
import { abbreviate, truncateMiddle } from "../../src/worker/agent/truncate";
import type { Sandbox } from "../../src/worker/sandbox";

function recordingSandbox(output: string, exitCode = 0) {
  const calls: { argv: string[]; key?: string }[] = [];
  const sandbox: Sandbox = {
    async exec(argv, o) {
      calls.push({ argv, key: o.idempotencyKey });
      return { exitCode, output, truncated: false, timedOut: false, durationMs: 1 };
    },
    readFile: async () => new Uint8Array(),
    writeFile: async () => {},
  };
  return { sandbox, calls };
}

const ctx = (sandbox: Sandbox) => ({ sandbox, idempotencyKey: "job:1.0", commandTimeoutMs: 5000 });

describe("truncateMiddle", () => {
  it("leaves short text alone", () => expect(truncateMiddle("hello", 10)).toBe("hello"));
  it("keeps head and tail with a marker", () => {
    const text = `${"a".repeat(1000)}${"b".repeat(1000)}`;
    const cut = truncateMiddle(text, 100);
    expect(cut.startsWith("a".repeat(50))).toBe(true);
    expect(cut.endsWith("b".repeat(50))).toBe(true);
    expect(cut).toContain("[… 1,900 characters cut …]");
  });
  it("abbreviates to one line", () => expect(abbreviate("a\n  b\tc", 10)).toBe("a b c"));
  it("abbreviates with an ellipsis", () => expect(abbreviate("x".repeat(20), 5)).toBe("xxxx…"));
});

describe("dispatch", () => {
  it("runs bash without a login shell, with the idempotency key", async () => {
    const { sandbox, calls } = recordingSandbox("ok\n");
    const r = await dispatch({ id: "1", name: "bash", arguments: '{"command":"ls"}' }, ctx(sandbox), 1000);
    expect(calls).toEqual([{ argv: ["bash", "-c", "ls"], key: "job:1.0" }]);
    expect(r).toEqual({ kind: "observation", observation: { output: "ok\n", exitCode: 0 } });
  });

  it("cuts long output", async () => {
    const { sandbox } = recordingSandbox("x".repeat(50_000));
    const r = await dispatch(
      { id: "1", name: "bash", arguments: '{"command":"cat big"}' },
      ctx(sandbox),
      1000,
    );
    expect(r.kind === "observation" && r.observation.output.length).toBeLessThan(1100);
  });

  it.each([
    ["not json", "nope", /not valid JSON/],
    ["unknown tool", '{"x":1}', /no tool named "rm_rf".*Available tools: bash, view, edit, finish/],
    ["missing field", "{}", /bad arguments for bash[\s\S]*command/],
    ["wrong type", '{"command":5}', /bad arguments for bash/],
    ["extra field", '{"command":"ls","cwd":"/"}', /bad arguments for bash/],
  ])("turns %s into an observation", async (_label, args, message) => {
    const { sandbox, calls } = recordingSandbox("");
    const name = _label === "unknown tool" ? "rm_rf" : "bash";
    const r = await dispatch({ id: "1", name, arguments: args }, ctx(sandbox), 1000);
    expect(r.kind).toBe("observation");
    expect(r.kind === "observation" && r.observation.output).toMatch(message);
    expect(calls).toHaveLength(0);
  });

  it("recognises finish and validates it", async () => {
    const { sandbox } = recordingSandbox("");
    const ok = await dispatch(
      { id: "1", name: "finish", arguments: '{"title":"T","summary":"S"}' },
      ctx(sandbox),
      1000,
    );
    expect(ok).toEqual({ kind: "finish", input: { title: "T", summary: "S" } });
    const bad = await dispatch({ id: "1", name: "finish", arguments: '{"title":""}' }, ctx(sandbox), 1000);
    expect(bad.kind === "observation" && bad.observation.output).toMatch(/bad arguments for finish/);
  });

  it("describes tools with JSON Schema from the zod schemas", () => {
    const specs = toolSpecs();
    expect(specs.map((s) => s.name)).toEqual(["bash", "view", "edit", "finish"]);
    expect(specs[0]?.parameters).toMatchObject({ type: "object", required: ["command"] });
  });

  it("requires a title on a first turn and leaves it optional on a follow-up", async () => {
    const { sandbox } = recordingSandbox("");
    const untitled = { id: "1", name: "finish", arguments: '{"summary":"S"}' };
    const first = await dispatch(untitled, ctx(sandbox), 1000);
    expect(first.kind === "observation" && first.observation.output).toMatch(
      /bad arguments for finish[\s\S]*title/,
    );
    const followUp = { ...ctx(sandbox), followUp: true };
    expect(await dispatch(untitled, followUp, 1000)).toEqual({ kind: "finish", input: { summary: "S" } });
    const renamed = { id: "2", name: "finish", arguments: '{"title":" Rename it ","summary":"S"}' };
    expect(await dispatch(renamed, followUp, 1000)).toEqual({
      kind: "finish",
      input: { title: "Rename it", summary: "S" },
    });
    const extra = { id: "3", name: "finish", arguments: '{"summary":"S","branch":"x"}' };
    const bad = await dispatch(extra, followUp, 1000);
    expect(bad.kind === "observation" && bad.observation.output).toMatch(/bad arguments for finish/);
  });

  it("offers finish with a required title first, and an optional one described as a rename on a follow-up", () => {
    const finishOf = (specs: ReturnType<typeof toolSpecs>) => specs.find((s) => s.name === "finish");
    const first = finishOf(toolSpecs())?.parameters as { required?: string[] };
    expect(first.required).toEqual(["title", "summary"]);
    const specs = toolSpecs({ followUp: true });
    expect(specs.map((s) => s.name)).toEqual(["bash", "view", "edit", "finish"]);
    const later = finishOf(specs)?.parameters as {
      required?: string[];
      properties: { title: { description?: string } };
    };
    expect(later.required).toEqual(["summary"]);
    expect(later.properties.title.description).toMatch(
      /^Only when the request asks to rename the pull request/,
    );
  });
});
