/**
 * Worker entry point: the HTTP app, the cron trigger (sandbox janitor), and the classes
 * wrangler.toml binds (JobRoom, CodeJob, SlackGuard, SandboxContainer, TenantLimiter).
 */
import { createApp } from "./app";
import { janitorDeps, sweepSandboxes } from "./janitor";
import { sandboxServiceFetch } from "./sandbox-container";

export { JobRoom } from "./jobs/room";
export { CodeJob } from "./jobs/workflow";
export { TenantLimiter } from "./limits/limiter";
export { SandboxContainer } from "./sandbox-container";
export { SlackGuard } from "./slack/guard";

const app = createApp();

export default {
  fetch: app.fetch,
  scheduled: (_controller, env, ctx) => {
    ctx.waitUntil(
      sweepSandboxes(janitorDeps(env, sandboxServiceFetch(env))).then(
        (report) => console.log(JSON.stringify({ msg: "sandbox janitor", ...report })),
        (error: unknown) =>
          console.error(JSON.stringify({ msg: "sandbox janitor failed", error: String(error) })),
      ),
    );
  },
} satisfies ExportedHandler<Env>;
