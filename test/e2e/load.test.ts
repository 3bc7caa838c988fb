// A bounded load test on loopback: 30 concurrent POST /code from one token whose running-job cap
// is 10. Every request gets a job or a 429 with Retry-After; every job ends with `done`, its live
// log complete, in order, and equal to its replay. `npm run bench` runs the 100-request version.
import { afterAll, beforeAll, expect, it } from "vitest";
import { type System, startSystem } from "./harness";
import { runLoad } from "./load-run";

let system: System;
beforeAll(async () => {
  system = await startSystem({ vars: { MAX_CONCURRENT_JOBS: "10", JOBS_PER_MINUTE: "1000" } });
  await system.github.createRepo("acme", "load", { "README.md": "# load\n" });
});
afterAll(async () => {
  await system?.close();
});

it("30 concurrent requests: each a job or a 429, each job a complete log", async () => {
  const result = await runLoad(system, 30);
  expect(result.wrong).toEqual([]);
  expect(result.incomplete).toEqual([]);
  expect(result.accepted + result.limited).toBe(30);
  expect(result.accepted).toBeGreaterThanOrEqual(10);
  expect(result.succeeded).toBe(result.accepted);
  expect(result.limited).toBeGreaterThan(0);
  expect(system.github.violations).toEqual([]);
}, 240_000);
