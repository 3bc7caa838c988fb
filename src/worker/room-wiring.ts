/**
 * What the JobRoom is given from outside `jobs/`: its liveness settings, the sandbox client it
 * reaps with, and the projections its log feeds (the Slack thread, the job history row, the reply
 * on a PR that asked for a follow-up). Kept at
 * the entry point's side, so `jobs/` never imports `slack/` or `history/`.
 */
import { sandboxService } from "./deps";
import { githubReplyProjection } from "./github/reply-projection";
import { historyProjection } from "./history/projection";
import { livenessConfig } from "./jobs/liveness";
import type { RoomWiring } from "./jobs/room-types";
import { slackProjection } from "./slack/projection";

export const roomWiring: RoomWiring = {
  liveness: livenessConfig,
  // Bounded: a cancel or the watchdog must end the job even when the service hangs (then it retries).
  reaper: (env) => sandboxService(env, 10_000),
  projections: [slackProjection, historyProjection, githubReplyProjection],
};
