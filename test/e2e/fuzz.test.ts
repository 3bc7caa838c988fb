// Hostile input through the real Worker: 5,000 generated requests (fuzz-requests.ts) across
// /code, /jobs/* and /slack/events, sent by a small pool of concurrent clients. None may answer
// 5xx, and none may start a job: no model call, no GitHub call, no sandbox.
import { afterAll, beforeAll, expect, it } from "vitest";
import { type FuzzRequest, hostileRequest, prng } from "./fuzz-requests";
import { type System, startSystem } from "./harness";

const COUNT = Number(process.env.FUZZ_COUNT ?? 5_000);
const POOL = Number(process.env.FUZZ_POOL ?? 16);
let system: System;
beforeAll(async () => {
  system = await startSystem({
    secretsOverride: { SLACK_BOT_TOKEN: "xoxb-fuzz", SLACK_SIGNING_SECRET: "fuzz-signing-secret" },
  });
  await system.github.createRepo("acme", "api", { "README.md": "# api\n" });
});
afterAll(async () => {
  await system?.close();
});

async function send(request: FuzzRequest): Promise<number> {
  const response = await fetch(`${system.url}${request.path}`, {
    method: request.method,
    headers: request.headers,
    ...(request.body === undefined || request.method === "GET" ? {} : { body: request.body }),
  });
  // Read (or drop) the body so the connection is reused; a stream that stays open is a job's.
  if (response.headers.get("content-type")?.startsWith("text/event-stream")) await response.body?.cancel();
  else await response.arrayBuffer();
  return response.status;
}

it(`answers ${COUNT} hostile requests without a 5xx or a job`, async () => {
  const seed = Number(process.env.FUZZ_SEED ?? 20261123);
  const rand = prng(seed);
  const requests = Array.from({ length: COUNT }, () =>
    hostileRequest(rand, system.apiToken, system.secrets.SLACK_SIGNING_SECRET ?? ""),
  );
  const failures: { request: FuzzRequest; status: number }[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: POOL }, async () => {
      while (next < requests.length) {
        const request = requests[next++] as FuzzRequest;
        const status = await send(request);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status >= 500 || (status === 200 && request.path === "/code")) failures.push({ request, status });
      }
    }),
  );
  const summary = (f: { request: FuzzRequest; status: number }) =>
    `${f.status} ${f.request.method} ${f.request.path.slice(0, 80)} ${JSON.stringify(f.request.body?.slice(0, 120))}`;
  expect(failures.map(summary), `seed ${seed}; statuses ${JSON.stringify([...statuses])}`).toEqual([]);
  expect(system.openai.requests).toEqual([]);
  expect(system.github.calls).toEqual([]);
  const list = await fetch(`${system.service.url}/v1/sandboxes`, {
    headers: { authorization: `Bearer ${system.secrets.SANDBOX_SERVICE_TOKEN}` },
  });
  expect(((await list.json()) as { sandboxes: unknown[] }).sandboxes).toEqual([]);
}, 150_000);
