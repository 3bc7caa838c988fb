/**
 * The routes of a sandbox's environment phases (src/protocol/sandbox.ts): `environment/begin`
 * opens the setup phase (network on), `environment/ready` ends it for good (network off, the
 * set-up environment saved to the cache on request). Mounted under `/v1/sandboxes`, behind the
 * service's bearer auth; the phase machine itself is env-phase.ts, the saving the backend's.
 */
import { Hono } from "hono";
import type { Backend } from "./backends/types";
import { environmentReadyRequestSchema, readJson } from "./schemas";

export function environmentRoutes(backend: Backend): Hono {
  return new Hono()
    .post("/:id/environment/begin", async (c) => c.json(await backend.beginEnvironment(c.req.param("id"))))
    .post("/:id/environment/ready", async (c) => {
      const request = await readJson(c, environmentReadyRequestSchema);
      return c.json(await backend.environmentReady(c.req.param("id"), request));
    });
}
