/**
 * The routes that read a sandbox's change against its base commit, for publishing and the job's
 * page: the change set (metadata), git's bounded diff, and blob contents in pieces of at most
 * 1 MiB. Mounted under `/v1/sandboxes`, behind the service's bearer auth.
 */
import { Hono } from "hono";
import { gitShaSchema } from "../protocol/sandbox-schemas";
import type { Backend } from "./backends/types";
import { badRequest } from "./errors";
import { blobRangeSchema, blobsSchema, parseOrThrow, readJson } from "./schemas";

export function changeRoutes(backend: Backend): Hono {
  return new Hono()
    .get("/:id/changes", async (c) =>
      c.json(await backend.changes(c.req.param("id"), base(c.req.query("base")))),
    )
    .get("/:id/diff", async (c) => c.json(await backend.diff(c.req.param("id"), base(c.req.query("base")))))
    .get("/:id/blobs/:sha", async (c) => {
      const { offset, length, sha } = parseOrThrow(blobRangeSchema, {
        sha: c.req.param("sha"),
        ...(c.req.query("offset") === undefined ? {} : { offset: c.req.query("offset") }),
        ...(c.req.query("length") === undefined ? {} : { length: c.req.query("length") }),
      });
      return c.json(await backend.readBlob(c.req.param("id"), sha, offset, length));
    })
    .post("/:id/blobs", async (c) => {
      const { shas } = await readJson(c, blobsSchema);
      return c.json({ blobs: await backend.readBlobs(c.req.param("id"), shas) });
    });
}

/** `?base=`: absent (the clone's commit) or a full lowercase sha. */
function base(value: string | undefined): string | undefined {
  if (value !== undefined && !gitShaSchema.safeParse(value).success)
    throw badRequest("base: must be a full lowercase git sha");
  return value;
}
