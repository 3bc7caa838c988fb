// Slash-command ack latency: rounds of 20 concurrent signed `/pr` commands against the Worker on
// workerd with a few GET /healthz probes sent among them (the Worker's cheapest route under the
// same load: the target compares the two p99s from the same rounds), and the same commands
// answered by Bolt's own HTTPReceiver on Node. Before each round, 20 concurrent GET /healthz on
// the otherwise idle Worker give the floor without the load (informational). Jobs point at
// stand-ins and fail at their first GitHub call (404); only the ack counts. Everything a job does
// runs in the one workerd process here (deployed, its Workflow runs elsewhere), so the rounds run
// twice: with GitHub holding its answers until the round's acks are all in (the acks beside 20 job
// starts — the target), and with GitHub answering at once (beside 20 whole jobs).
import { request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { App, HTTPReceiver, LogLevel } from "@slack/bolt";
import { parsePrCommand, usageText } from "../src/worker/slack/grammar";
import { signHeaders, slashCommandBody } from "../test/e2e/slack-requests";
import { startSlackWorker } from "../test/e2e/slack-worker";
import { listenLoopback, sendJson } from "../test/stand-ins/loopback-server";
import type { SlackCall } from "../test/stand-ins/slack";
import { ms, percentile, type Row } from "./stats";

const CONCURRENCY = 20;
/** GET /healthz probes per round, one sent after every CONCURRENCY / PROBES commands. */
const PROBES = 5;
/** Enough rounds that the probes' p99 is not just their maximum (150 probes: the 2nd slowest). */
const ROUNDS = 30;
/** The whole-jobs variant and Node's rounds, informational. */
const SHORT_ROUNDS = 6;
const WARMUP_ROUNDS = 2;

/** How long `run()` takes, in ms. */
async function timed(run: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

/** The times of one round under load: the commands' acks and the probes sent among them. */
interface Round {
  acks: number[];
  probes: number[];
  /** The round of probes alone before it, when asked for. */
  idle: number[];
}

/**
 * One round: CONCURRENCY `send(label)`s with `probe()`s interleaved (a probe after every
 * CONCURRENCY / probes commands), all started at once; before it, when `idle`, CONCURRENCY
 * concurrent probes on their own.
 */
async function loadRound(
  round: number,
  send: (label: string) => Promise<void>,
  probe: (() => Promise<void>) | null,
  idle: boolean,
): Promise<Round> {
  const idleTimes =
    probe && idle ? await Promise.all(Array.from({ length: CONCURRENCY }, () => timed(probe))) : [];
  const acks: Promise<number>[] = [];
  const probes: Promise<number>[] = [];
  for (let i = 0; i < CONCURRENCY; i++) {
    acks.push(timed(() => send(`${round}.${i}`)));
    if (probe && (i + 1) % (CONCURRENCY / PROBES) === 0) probes.push(timed(probe));
  }
  return { acks: await Promise.all(acks), probes: await Promise.all(probes), idle: idleTimes };
}

/**
 * `count` rounds (after WARMUP_ROUNDS) of `loadRound`; the times of all of them. `settle(n)` runs
 * after each round with the number of `send`s so far.
 */
async function rounds(
  count: number,
  send: (label: string) => Promise<void>,
  settle: (sent: number) => Promise<void> = async () => {},
  probe: (() => Promise<void>) | null = null,
  idle = false,
): Promise<Round> {
  const all: Round = { acks: [], probes: [], idle: [] };
  for (let r = 0; r < WARMUP_ROUNDS + count; r++) {
    const times = await loadRound(r, send, probe, idle);
    if (r >= WARMUP_ROUNDS) {
      all.acks.push(...times.acks);
      all.probes.push(...times.probes);
      all.idle.push(...times.idle);
    }
    await settle((r + 1) * CONCURRENCY);
  }
  return all;
}

/**
 * One request on a connection of its own; resolves with the status once the body is read. Not
 * `fetch`: under load, its GET /healthz probes came back together seconds after POSTs sent at the
 * same moment (curl, or node:http as here, saw the two alike), so they timed the client rather
 * than the Worker. A fresh connection for every request treats commands and probes alike.
 */
function send(
  url: string,
  method: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Sends one signed `/pr` and reads its ack. */
async function command(url: string, secret: string, responseUrl: string, label: string): Promise<void> {
  const body = slashCommandBody({ text: `bench/repo [ack ${label}] noop`, responseUrl });
  const headers = { "content-type": "application/x-www-form-urlencoded", ...signHeaders(secret, body) };
  const status = await send(`${url}/slack/events`, "POST", headers, body);
  if (status !== 200) throw new Error(`ack failed: ${status}`);
}

/**
 * How many jobs have ended in `calls` (append-only): a job is over once its parent shows the
 * outcome (no Cancel button), its last Slack call. Each call is read once, so waiting on the
 * count stays cheap in this process as calls pile up.
 */
function endedCounter(calls: SlackCall[]): () => number {
  let read = 0;
  let ended = 0;
  return () => {
    for (; read < calls.length; read++) {
      const call = calls[read];
      if (call?.method === "chat.update" && !JSON.stringify(call.args.blocks).includes("cancel_job")) ended++;
    }
    return ended;
  };
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
    const onNode = (
      await rounds(SHORT_ROUNDS, (label) => command(node.url, secret, worker.slack.responseUrl(), label))
    ).acks;
    // Each round waits for its jobs to end, so the next meets 20 concurrent commands, not the
    // tail of the previous round's jobs.
    const ended = endedCounter(worker.slack.calls);
    // The Worker's cheapest route: what any request meets in this isolate under the same load.
    const healthz = async () => {
      const status = await send(`${worker.url}/healthz`, "GET");
      if (status !== 200) throw new Error(`healthz failed: ${status}`);
    };
    const onWorkerd = async (count: number, gated: boolean) => {
      const before = ended();
      return rounds(
        count,
        (label) => command(worker.url, secret, worker.slack.responseUrl(), label),
        async (sent) => {
          release();
          await worker.slack.waitFor(() => ended() >= before + sent, 120_000);
          if (gated) hold();
        },
        healthz,
        gated,
      );
    };
    hold();
    const gated = await onWorkerd(ROUNDS, true);
    release();
    held = null;
    const open = await onWorkerd(SHORT_ROUNDS, false);
    const p = (samples: number[], q: number) => percentile(samples, q);
    const both = (samples: number[]) => `${ms(p(samples, 0.5))} / ${ms(p(samples, 0.99))}`;
    const ratio = (acks: number[], floor: number[]) => `${(p(acks, 0.99) / p(floor, 0.99)).toFixed(2)}×`;
    return [
      {
        figure: `Slack /pr ack p50 / p99, Worker on workerd (${CONCURRENCY} concurrent + ${PROBES} GET /healthz among them, ${gated.acks.length} commands; jobs held at GitHub until the acks are in)`,
        value: both(gated.acks),
        target: "—",
      },
      {
        figure: `GET /healthz p50 / p99, the ${gated.probes.length} probes sent among those commands (same rounds)`,
        value: both(gated.probes),
        target: "—",
      },
      {
        figure: "Slack /pr ack p99 / GET /healthz p99 under the same load (same rounds)",
        value: ratio(gated.acks, gated.probes),
        target: "≤ 1.5×",
      },
      {
        figure: `GET /healthz p50 / p99, ${CONCURRENCY} concurrent on the otherwise idle Worker before each of those rounds; ack p99 / its p99`,
        value: `${both(gated.idle)} (${ratio(gated.acks, gated.idle)})`,
        target: "informational",
      },
      {
        figure: `the same with each round's 20 jobs running to their end beside the acks (${open.acks.length} commands): ack p99 / healthz p99 (same rounds)`,
        value: `${ms(p(open.acks, 0.99))} / ${ms(p(open.probes, 0.99))} (${ratio(open.acks, open.probes)})`,
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
        value: (p(gated.acks, 0.99) / p(onNode, 0.99)).toFixed(2),
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
