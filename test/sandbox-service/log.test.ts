import { describe, expect, it } from "vitest";
import { jsonLogger, logLine, traceparentIds } from "../../src/sandbox-service/log";

const parse = (line: string) => JSON.parse(line) as Record<string, unknown>;

describe("the sandbox service's log lines", () => {
  it("have the Worker's envelope: time, level, msg, job_id, trace ids, then the fields", () => {
    const lines: string[] = [];
    jsonLogger((line) => lines.push(line)).warn("request", {
      status: 404,
      job_id: "job_1",
      trace_id: "0af7651916cd43dd8448eb211c80319c",
      span_id: "b7ad6b7169203331",
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.endsWith("}\n")).toBe(true);
    const entry = parse(lines[0] ?? "");
    expect(Object.keys(entry)).toEqual(["time", "level", "msg", "job_id", "trace_id", "span_id", "status"]);
    expect(entry).toMatchObject({ level: "warn", msg: "request", job_id: "job_1", status: 404 });
  });

  it("redact token-shaped strings and keep the envelope from being overwritten", () => {
    const line = logLine("error", "clone failed", {
      error: "fatal: https://x-access-token:ghp_abcdefghijklmnop@github.com/o/r.git not found",
      level: "info",
    });
    expect(line).not.toContain("ghp_abcdefghijklmnop");
    expect(parse(line).level).toBe("error");
  });

  it("read a traceparent header's ids, refusing malformed and all-zero ones", () => {
    expect(traceparentIds("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")).toEqual({
      trace_id: "0af7651916cd43dd8448eb211c80319c",
      span_id: "b7ad6b7169203331",
    });
    for (const bad of [
      undefined,
      "",
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333-01",
      "00-00000000000000000000000000000000-b7ad6b7169203331-01",
      "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
      "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
    ])
      expect(traceparentIds(bad)).toBeUndefined();
  });
});
