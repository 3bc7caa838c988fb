// Slash-command ack latency: rounds of 20 concurrent signed `/pr` commands against the Worker on
// workerd, each after a round of 20 concurrent GET /healthz on the same Worker (the harness's
// floor, measured beside the acks so both meet the same machine), and the same commands answered
// by Bolt's own HTTPReceiver on Node. Jobs point at stand-ins and fail at their first GitHub call
// (404); only the ack counts. The target is the ack p99 within 1.5× the floor's p99. Everything a
// job does runs in the one workerd process here (deployed, its Workflow runs elsewhere), so the
// rounds run twice: with GitHub holding its answers until the round's acks are all in (the acks
// beside 20 job starts — the target), and with GitHub answering at once (beside 20 whole jobs).
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { App, HTTPReceiver, LogLevel } from "@slack/bolt";
import { parsePrCommand, usageText } from "../src/worker/slack/grammar";
import { signHeaders, slashCommandBody } from "../test/e2e/slack-requests";
import { startSlackWorker } from "../test/e2e/slack-worker";
import { listenLoopback, sendJson } from "../test/stand-ins/loopback-server";
import type { SlackCall } from "../test/stand-ins/slack";
import { ms, percentile, type Row } from "./stats";

const CONCURRENCY = 20;
const ROUNDS = 10;
const WARMUP_ROUNDS = 2;

/** CONCURRENCY concurrent `send(label)` calls of round `round`; their times. */
function round(round: number, send: (label: string) => Promise<void>): Promise<number[]> {
  return Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, i) => {
      const started = performance.now();
      await send(`${round}.${i}`);
      return performance.now() - started;
    }),
  );
}

/**
 * ROUNDS rounds (after WARMUP_ROUNDS) of `send`, each after a round of `floor` when given; the
 * times of both. `settle(n)` runs after each round with the number of `send`s so far.
 */
async function rounds(
  send: (label: string) => Promise<void>,
  settle: (sent: number) => Promise<void> = async () => {},
  floor?: () => Promise<void>,
): Promise<{ samples: number[]; floor: number[] }> {
  const samples: number[] = [];
  const floors: number[] = [];
  for (let r = 0; r < WARMUP_ROUNDS + ROUNDS; r++) {
    const floorTimes = floor ? await round(r, floor) : [];
    const times = await round(r, send);
    if (r >= WARMUP_ROUNDS) {
      samples.push(...times);
      floors.push(...floorTimes);
    }
    await settle((r + 1) * CONCURRENCY);
  }
  return { samples, floor: floors };
}

/** Sends one signed `/pr` and reads its ack. */
async function command(url: string, secret: string, responseUrl: string, label: string): Promise<void> {
  const body = slashCommandBody({ text: `bench/repo [ack ${label}] noop`, responseUrl });
  const response = await fetch(`${url}/slack/events`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...signHeaders(secret, body) },
    body,
  });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`ack failed: ${response.status}`);
}

/** Bolt's HTTPReceiver on Node answering `/pr` with the same grammar, acking at once. */
async function startBoltOnNode(
  secret: string,
  slackApiUrl: string,
): Promise<{ url: string; stop(): Promise<void> }> {
  const receiver = new HTTPReceiver({
    signingSecret: secret,
    endpoints: "/slack/events",
    logLevel: LogLevel.ERROR,
  });
  const app = new App({
    token: "xoxb-bench",
    botId: "B_UNUSED",
    botUserId: "U_UNUSED",
    receiver,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl },
  });
  app.command("/pr", async ({ command, ack }) => {
    const parsed = parsePrCommand(command.text, "https://github.com");
    if (parsed.kind === "run") await ack();
    else await ack({ response_type: "ephemeral", text: usageText(null, "https://github.com") });
  });
  const server = (await receiver.start({ port: 0, host: "127.0.0.1" })) as Server;
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, stop: () => receiver.stop() };
}

/** The benchmark rows: p50/p99 on workerd and on Node, and their ratio. */
export async function benchSlackAck(): Promise<Row[]> {
  // While `held` is set, GitHub's answers wait for it; each round's settle releases it.
  let held: Promise<void> | null = null;
  let release = () => {};
  const hold = () => {
    held = new Promise((resolve) => {
      release = resolve;
    });
  };
  const github = await listenLoopback(async (_req, res) => {
    await held;
    sendJson(res, 404, {
      message: "Not Found",
      documentation_url: "https://docs.github.com/rest",
      status: "404",
    });
  });
  // A failed job ends by terminating its sandbox; this service has none (404: already gone), so it
  // ends at once rather than waiting on a service that never answers.
  const sandboxes = await listenLoopback(async (_req, res) => {
    sendJson(res, 404, { error: "no such sandbox" });
  });
  // Every command must start a job, so the per-user limits sit above what the rounds send.
  const worker = await startSlackWorker({
    GITHUB_API_URL: github.origin,
    SANDBOX_SERVICE_URL: sandboxes.origin,
    JOBS_PER_MINUTE: "100000",
    MAX_CONCURRENT_JOBS: "100000",
  });
  const node = await startBoltOnNode(worker.signingSecret, worker.slack.apiUrl);
  try {
    const secret = worker.signingSecret;
    const onNode = (await rounds((label) => command(node.url, secret, worker.slack.responseUrl(), label)))
      .samples;
    // A job is over once its parent shows the outcome (no Cancel button) — its last Slack call —
    // so each round meets 20 concurrent commands, not the tail of the previous round's jobs.
    const ended = (calls: SlackCall[]) =>
      calls.filter((c) => c.method === "chat.update" && !JSON.stringify(c.args.blocks).includes("cancel_job"))
        .length;
    // The harness's own floor: the Worker's cheapest route under the same concurrency.
    const healthz = async () => {
      const response = await fetch(`${worker.url}/healthz`);
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`healthz failed: ${response.status}`);
    };
    const onWorkerd = async (gated: boolean) => {
      const before = ended(worker.slack.calls);
      return rounds(
        (label) => command(worker.url, secret, worker.slack.responseUrl(), label),
        async (sent) => {
          release();
          await worker.slack.waitFor((calls) => ended(calls) >= before + sent, 120_000);
          if (gated) hold();
        },
        healthz,
      );
    };
    hold();
    const gated = await onWorkerd(true);
    release();
    held = null;
    const open = await onWorkerd(false);
    const p = (samples: number[], q: number) => percentile(samples, q);
    const label = `${CONCURRENCY} concurrent, ${gated.samples.length} commands`;
    const ratio = (r: { samples: number[]; floor: number[] }) =>
      `${(p(r.samples, 0.99) / p(r.floor, 0.99)).toFixed(2)}×`;
    return [
      {
        figure: `Slack /pr ack p50 / p99, Worker on workerd (${label}; jobs held at GitHub until the acks are in)`,
        value: `${ms(p(gated.samples, 0.5))} / ${ms(p(gated.samples, 0.99))}`,
        target: "—",
      },
      {
        figure: "GET /healthz p50 / p99, same Worker, rounds interleaved with those acks' (harness floor)",
        value: `${ms(p(gated.floor, 0.5))} / ${ms(p(gated.floor, 0.99))}`,
        target: "—",
      },
      {
        figure: "Slack /pr ack p99 / GET /healthz p99 (same rounds)",
        value: ratio(gated),
        target: "≤ 1.5×",
      },
      {
        figure:
          "the same with each round's 20 jobs running to their end beside the acks: ack p99 / healthz p99",
        value: `${ms(p(open.samples, 0.99))} / ${ms(p(open.floor, 0.99))} (${ratio(open)})`,
        target: "informational",
      },
      {
        figure: "Slack /pr ack p50, Bolt HTTPReceiver on Node (baseline)",
        value: ms(p(onNode, 0.5)),
        target: "—",
      },
      {
        figure: "Slack /pr ack p99, Bolt HTTPReceiver on Node (baseline)",
        value: ms(p(onNode, 0.99)),
        target: "—",
      },
      {
        figure: "Slack /pr ack p99 ratio, workerd / Node (Node has no harness in front)",
        value: (p(gated.samples, 0.99) / p(onNode, 0.99)).toFixed(2),
        target: "informational",
      },
    ];
  } finally {
    await node.stop();
    await worker.close();
    await github.close();
    await sandboxes.close();
  }
}
