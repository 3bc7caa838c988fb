// The GitHub client's retry and throttling come from @octokit/plugin-retry and plugin-throttling:
// against a loopback server speaking GitHub's wire (status, rate-limit headers), a 502 is retried,
// an exhausted primary rate limit is waited out until its reset, and a 404 is not retried.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gitHubClient } from "../../src/worker/github/client";

type Answer = (res: ServerResponse) => void;
const queue: Answer[] = [];
const seen: string[] = [];
let apiUrl = "";
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  seen.push(`${req.method} ${req.url}`);
  const answer = queue.shift() ?? ((r) => json(r, 200, { id: 1, name: "b", full_name: "a/b" }));
  answer(res);
});

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const client = () =>
  gitHubClient({ apiUrl, token: "t", writeIntervalMs: 0, maxRateLimitWaitSeconds: 5 }, "t");

describe("gitHubClient", () => {
  it("retries a 502", async () => {
    seen.length = 0;
    queue.push((r) => json(r, 502, { message: "Bad Gateway" }));
    const { data } = await client().rest.repos.get({ owner: "a", repo: "b" });
    expect(data.full_name).toBe("a/b");
    expect(seen).toEqual(["GET /repos/a/b", "GET /repos/a/b"]);
  });

  it("waits out an exhausted rate limit, then retries", async () => {
    seen.length = 0;
    const reset = String(Math.floor(Date.now() / 1000));
    queue.push((r) =>
      json(
        r,
        403,
        { message: "API rate limit exceeded" },
        { "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset },
      ),
    );
    const { data } = await client().rest.repos.get({ owner: "a", repo: "b" });
    expect(data.full_name).toBe("a/b");
    expect(seen).toHaveLength(2);
  });

  it("does not retry a 404", async () => {
    seen.length = 0;
    queue.push((r) => json(r, 404, { message: "Not Found" }));
    await expect(client().rest.repos.get({ owner: "a", repo: "b" })).rejects.toMatchObject({ status: 404 });
    expect(seen).toHaveLength(1);
  });
});
