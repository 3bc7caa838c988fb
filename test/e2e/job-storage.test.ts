// Reading a job that does not exist writes nothing: unauthenticated `GET /jobs/<uuid>` (JSON or the
// page) and its `/events` (and an authenticated cancel) for ids no job has are 404s that leave no
// table and no row in the JobRoom they address, so random ids cannot be used to fill the
// deployment's storage.
// Measured inside each room's own SQLite database (wrangler's harness runs SQL in the object).
// Locally miniflare writes its own `__miniflare_do_name` table in any object it starts, so counting
// database files would measure miniflare, not us; the schema (and so any row) is what our code writes.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postCode, type System, startSystem } from "./harness";
import { collectEvents } from "./sse";

let system: System;
beforeAll(async () => {
  system = await startSystem();
  await system.github.createRepo("acme", "storage", { "README.md": "# storage\n" });
});
afterAll(async () => {
  await system?.close();
});

describe("unknown job ids", () => {
  it("answer 404 on every read route and leave no table or row in the room they address", async () => {
    const auth = { authorization: `Bearer ${system.apiToken}` };
    const ids = Array.from({ length: 10 }, () => randomUUID());
    for (const id of ids) {
      const reads = [
        fetch(`${system.url}/jobs/${id}`),
        fetch(`${system.url}/jobs/${id}/events`),
        fetch(`${system.url}/jobs/${id}/events?after=3`),
        fetch(`${system.url}/jobs/${id}/events`, { headers: { "last-event-id": "7" } }),
        fetch(`${system.url}/jobs/${id}/cancel`, { method: "POST", headers: auth }),
      ];
      for (const response of await Promise.all(reads)) {
        expect(response.status).toBe(404);
        expect(response.headers.get("content-type")).toMatch(/problem\+json/);
        await response.body?.cancel();
      }
      // The job page's 404, for a browser, reads the same room.
      const page = await fetch(`${system.url}/jobs/${id}`, { headers: { accept: "text/html" } });
      expect([page.status, page.headers.get("content-type")]).toEqual([404, "text/html; charset=utf-8"]);
      await page.body?.cancel();
    }
    for (const id of ids) expect(await system.durableObjectTables("JOB_ROOM", id), id).toEqual([]);

    // The measure is real: a job that does start has its tables.
    system.openai.setScript(
      [{ toolCalls: [{ name: "finish", arguments: { title: "Nothing", summary: "Nothing." } }] }],
      "[storage]",
    );
    const started = await postCode(system, { repoUrl: "acme/storage", prompt: "[storage] nothing" });
    expect(started.status).toBe(200);
    const { events } = await collectEvents(started);
    expect(events.at(-1)?.type).toBe("done");
    const jobId = started.headers.get("x-job-id") ?? "";
    expect(await system.durableObjectTables("JOB_ROOM", jobId)).toEqual(
      expect.arrayContaining(["events", "kv", "messages"]),
    );
    expect((await fetch(`${system.url}/jobs/${jobId}`)).status).toBe(200);
  });
});
