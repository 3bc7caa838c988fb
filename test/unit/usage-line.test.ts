// The usage line the Slack thread ends with: the estimated cost joins it when the model is priced.
import { describe, expect, it } from "vitest";
import { usageLine } from "../../src/worker/slack/format";

describe("usageLine", () => {
  const usage = { steps: 12, promptTokens: 34_567, completionTokens: 1234, durationMs: 192_000 };
  it("without a price", () =>
    expect(usageLine(usage)).toBe("12 steps · 34,567 prompt + 1,234 completion tokens · 3m 12s"));
  it("with the estimated cost", () =>
    expect(usageLine({ ...usage, costUsd: 0.0791 })).toBe(
      "12 steps · 34,567 prompt + 1,234 completion tokens · 3m 12s · about $0.08",
    ));
});
