// The Worker on workerd with only the Slack stand-in alive: GitHub, the model and the sandbox
// service are one loopback server that never answers, so a /pr job stays in its first step for
// as long as a test needs and the test writes the job's events itself (through the JobRoom's RPC).
// For whole jobs with every stand-in, see harness.ts.
import { randomBytes } from "node:crypto";
import { createTestHarness } from "wrangler";
import { listenLoopback } from "../stand-ins/loopback-server";
import { type SlackStandIn, startSlackStandIn } from "../stand-ins/slack";

/** The JobRoom methods tests call over RPC. */
export interface RoomHandle {
  job(): Promise<{ jobId: string; requester?: string } | null>;
  /** As the running attempt (attempt 1 here: the job never gets past its first step) would. */
  append(attempt: number, event: unknown, key: string): Promise<number | null>;
  complete(attempt: number, status: string, ending: Record<string, unknown>): Promise<void>;
  cancel(reason: string): Promise<string>;
}

export interface SlackWorker {
  url: string;
  signingSecret: string;
  apiToken: string;
  slack: SlackStandIn;
  /** The JobRoom of `jobId`, over RPC from this process. */
  room(jobId: string): Promise<RoomHandle>;
  /** Ids of every JobRoom with storage (one per job started). */
  jobRoomCount(): Promise<number>;
  logs(): string;
  close(): Promise<void>;
}

/**
 * Starts the Slack stand-in, the silent server and the Worker; `vars` and `secrets` override the
 * Worker's, `scopes` the bot token's (manifest.json's by default).
 */
export async function startSlackWorker(
  vars: Record<string, string> = {},
  secrets: Record<string, string> = {},
  scopes?: readonly string[],
): Promise<SlackWorker> {
  const signingSecret = randomBytes(16).toString("hex");
  const apiToken = `api-${randomBytes(12).toString("hex")}`;
  const slack = await startSlackStandIn({
    token: `xoxb-${randomBytes(8).toString("hex")}`,
    ...(scopes ? { scopes } : {}),
  });
  const silent = await listenLoopback(() => new Promise<void>(() => {}));
  const harness = createTestHarness({
    workers: [
      {
        configPath: "./wrangler.toml",
        vars: {
          OPENAI_BASE_URL: `${silent.origin}/v1`,
          GITHUB_API_URL: silent.origin,
          GITHUB_URL: "https://github.com",
          SLACK_API_URL: slack.apiUrl,
          SANDBOX_SERVICE_URL: silent.origin,
          ...vars,
        },
        secrets: {
          OPENAI_API_KEY: "sk-unused",
          GITHUB_TOKEN: "ghp-unused",
          SANDBOX_SERVICE_TOKEN: "sbx-unused",
          CODE_API_TOKENS: apiToken,
          SLACK_BOT_TOKEN: slack.token,
          SLACK_SIGNING_SECRET: signingSecret,
          ...secrets,
        },
      },
    ],
  });
  const { url } = await harness.listen();
  const worker = harness.getWorker();
  // The job history's schema, as a deployment has it (harness.ts does the same): without it every
  // job's history writes fail, log and retry beside whatever a test or the bench measures.
  await worker.applyD1Migrations("DB");
  return {
    url: url.href.replace(/\/$/, ""),
    signingSecret,
    apiToken,
    slack,
    async room(jobId) {
      const rooms = (await worker.getEnv()).JOB_ROOM as DurableObjectNamespaceLike;
      return rooms.get(rooms.idFromName(jobId));
    },
    async jobRoomCount() {
      return (await worker.listDurableObjectIds("JOB_ROOM")).length;
    },
    logs: () =>
      harness
        .getLogs()
        .map((l) => `${l.level}: ${l.message}`)
        .join("\n"),
    async close() {
      await harness.close();
      await silent.close();
      await slack.close();
    },
  };
}

interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: unknown): RoomHandle;
}

/** The job id in a parent message (the Cancel button's value). */
export function jobIdOf(args: Record<string, unknown>): string {
  const blocks = (args.blocks ?? []) as {
    type: string;
    elements?: { action_id?: string; value?: string }[];
  }[];
  const button = blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === "cancel_job");
  if (!button?.value) throw new Error(`no Cancel button in ${JSON.stringify(args).slice(0, 300)}`);
  return button.value;
}
