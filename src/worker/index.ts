/**
 * Worker entry point: the HTTP app, and the classes wrangler.toml binds (JobRoom, CodeJob).
 */
import { createApp } from "./app";

export { JobRoom } from "./jobs/room";
export { CodeJob } from "./jobs/workflow";
export { TenantLimiter } from "./limits/limiter";
export { SlackGuard } from "./slack/guard";

const app = createApp();

export default { fetch: app.fetch } satisfies ExportedHandler<Env>;
