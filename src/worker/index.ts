/**
 * Worker entry point: the HTTP app, the cron trigger (sandbox janitor), and the classes
 * wrangler.toml binds (JobRoom, PullRoom, CodeJob, SlackGuard, SandboxContainer, TenantLimiter).
 */
import { createApp } from "./app";
import { janitorDeps, sweepSandboxes } from "./janitor";
import { JobRoomBase } from "./jobs/room";
import { log } from "./log";
import { roomWiring } from "./room-wiring";
import { sandboxServiceFetch } from "./sandbox-container";
import { tracedHandler } from "./telemetry/request-span";

export { PullRoom } from "./followups/pull-room";
export { CodeJob } from "./jobs/workflow";
export { TenantLimiter } from "./limits/limiter";
export { SandboxContainer } from "./sandbox-container";
export { SlackGuard } from "./slack/guard";

/** The job's Durable Object, wired to what renders it (room-wiring.ts). */
export class JobRoom extends JobRoomBase {
  protected readonly wiring = roomWiring;
}

const app = createApp();

export default {
  fetch: tracedHandler(app.fetch),
  scheduled: (_controller, env, ctx) => {
    ctx.waitUntil(
      sweepSandboxes(janitorDeps(env, sandboxServiceFetch(env))).then(
        (report) => log.info("sandbox janitor", { ...report }),
        (error: unknown) => log.error("sandbox janitor failed", { error }),
      ),
    );
  },
} satisfies ExportedHandler<Env>;
