// The pace of content-creating GitHub requests: a burst goes at once, then one per interval on
// average, callers in order; measured on an injected clock, so nothing here waits for real.
import { describe, expect, it } from "vitest";
import { isContentCreating, WriteBudget } from "../../src/worker/github/write-budget";

function fakeClock() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    advance: (ms: number) => {
      now += ms;
    },
    clock: {
      now: () => now,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
    },
  };
}

describe("WriteBudget", () => {
  it("lets the burst through, then paces to one per interval, in order", async () => {
    const fake = fakeClock();
    const budget = new WriteBudget(750, 3, fake.clock);
    const order: number[] = [];
    await Promise.all([1, 2, 3, 4, 5].map((n) => budget.take().then(() => order.push(n))));
    expect(order).toEqual([1, 2, 3, 4, 5]);
    expect(fake.sleeps).toEqual([750, 750]);
  });

  it("refills while idle, never past the burst", async () => {
    const fake = fakeClock();
    const budget = new WriteBudget(750, 2, fake.clock);
    await budget.take();
    await budget.take();
    fake.advance(60_000);
    await budget.take();
    await budget.take();
    await budget.take();
    expect(fake.sleeps).toEqual([750]);
  });

  it("allows about 80 a minute after the burst", async () => {
    const fake = fakeClock();
    const budget = new WriteBudget(750, 10, fake.clock);
    for (let i = 0; i < 90; i++) await budget.take();
    // 10 at once, then 80 more one interval apart: a minute.
    expect(fake.sleeps.reduce((a, b) => a + b, 0)).toBe(60_000);
  });

  it("is off at interval 0, and counts only content-creating methods", async () => {
    const fake = fakeClock();
    const budget = new WriteBudget(0, 1, fake.clock);
    for (let i = 0; i < 5; i++) await budget.take();
    expect(fake.sleeps).toEqual([]);
    expect(["POST", "PATCH", "PUT", "DELETE"].every(isContentCreating)).toBe(true);
    expect(isContentCreating("GET")).toBe(false);
  });
});
