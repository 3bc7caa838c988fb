// How a change set is cut into publishing steps: text inline in tree batches bounded by bytes and
// entries, binary and large text as blob groups, deletions first; and the step-result bound.
import { describe, expect, it } from "vitest";
import type { Change } from "../../src/protocol/sandbox";
import {
  BLOB_GROUP_FILES,
  INLINE_MAX_BYTES,
  planPublish,
  TREE_BATCH_BYTES,
  TREE_BATCH_ENTRIES,
} from "../../src/worker/github/publish-plan";
import { asText } from "../../src/worker/github/publish-tree";
import { checkStepResult, MAX_STEP_RESULT_BYTES, stepResultBytes } from "../../src/worker/jobs/step-size";

const file = (path: string, size: number, binary = false, mode: "100644" | "120000" = "100644"): Change => ({
  path,
  status: "added",
  mode,
  sha: path.padEnd(40, "0").slice(0, 40),
  size,
  binary,
});

describe("planPublish", () => {
  it("sends text inline and binary or large files as blobs, deletions first", () => {
    const changes: Change[] = [
      file("a.txt", 10),
      file("b.bin", 10, true),
      file("c.txt", INLINE_MAX_BYTES + 1),
      { path: "d.txt", status: "deleted" },
      file("link", 10, true, "120000"),
    ];
    const plan = planPublish(changes);
    expect(plan.blobGroups.map((g) => g.map((c) => c.path))).toEqual([["b.bin", "c.txt"]]);
    expect(plan.treeBatches).toHaveLength(1);
    expect(plan.treeBatches[0]?.map((e) => [e.kind, e.path])).toEqual([
      ["delete", "d.txt"],
      ["inline", "a.txt"],
      ["blob", "b.bin"],
      ["blob", "c.txt"],
      ["inline", "link"],
    ]);
  });

  it("bounds each tree batch by entries and inline bytes, keeping every change once and in order", () => {
    const many = Array.from({ length: 250 }, (_, i) => file(`f${String(i).padStart(3, "0")}`, 20 * 1024));
    const { treeBatches } = planPublish(many);
    expect(treeBatches.flat().map((e) => e.path)).toEqual(many.map((c) => c.path));
    for (const batch of treeBatches) {
      expect(batch.length).toBeLessThanOrEqual(TREE_BATCH_ENTRIES);
      const bytes = batch.reduce((sum, e) => sum + (e.kind === "inline" ? e.size : 0), 0);
      expect(bytes).toBeLessThanOrEqual(TREE_BATCH_BYTES);
    }
    expect(treeBatches.length).toBe(5);
  });

  it("groups blobs by count, and a blob over the group's bytes goes alone", () => {
    const bins = Array.from({ length: BLOB_GROUP_FILES + 1 }, (_, i) => file(`b${i}`, 1, true));
    const huge = file("huge.bin", 40 * 1024 * 1024, true);
    const { blobGroups } = planPublish([...bins, huge]);
    expect(blobGroups.map((g) => g.length)).toEqual([BLOB_GROUP_FILES, 1, 1]);
    expect(blobGroups.at(-1)?.[0]?.path).toBe("huge.bin");
  });
});

describe("asText", () => {
  it("keeps UTF-8 (with its byte-order mark) and refuses NUL and other encodings", () => {
    expect(asText(Buffer.from("\ufeffbom\r\n"))).toBe("\ufeffbom\r\n");
    expect(asText(Buffer.from("caf\xe9", "latin1"))).toBeNull();
    expect(asText(Buffer.from([0x61, 0, 0x62]))).toBeNull();
  });
});

describe("step results", () => {
  it("refuses a result over 1 MiB and names the step", () => {
    expect(() => checkStepResult("tree 1 of 2", "f".repeat(40))).not.toThrow();
    const big = "x".repeat(MAX_STEP_RESULT_BYTES);
    expect(stepResultBytes(big)).toBeGreaterThan(MAX_STEP_RESULT_BYTES);
    expect(() => checkStepResult("read changes", big)).toThrow(/Step "read changes" returned \d+ bytes/);
  });
});
