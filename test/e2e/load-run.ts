// A burst of concurrent `POST /code` requests against the whole system on loopback, shared by the
// load test and `npm run bench`: every request must get a job or a 429, and every job a complete
// log ending with `done` (checked against a replay of GET /jobs/:id/events). GET /healthz may ride
// along in the same burst, as the floor a 429 is measured against.
import { postCode, type System } from "./harness";
import { collectEvents, type ParsedEvent } from "./sse";

export interface LoadResult {
  accepted: number;
  /** Accepted jobs that ended `succeeded` (a PR opened). */
  succeeded: number;
  limited: number;
  /** Requests answered with neither a job nor a 429, or 429s without Retry-After. */
  wrong: string[];
  /** Jobs whose live stream was incomplete, out of order, or differed from the replay. */
  incomplete: string[];
  firstEventMs: number[];
  refusalMs: number[];
  /** Times of the GET /healthz sent in the burst, beside the POSTs. */
  healthzMs: number[];
  wallMs: number;
}

const bash = (command: string) => ({ toolCalls: [{ name: "bash", arguments: { command } }] });
const finish = { toolCalls: [{ name: "finish", arguments: { title: "Load", summary: "One file." } }] };

function complete(events: ParsedEvent[]): boolean {
  return (
    events.length > 2 &&
    events.every((e, i) => e.id === i + 1) &&
    events[0]?.type === "job" &&
    events.at(-1)?.type === "done"
  );
}

async function one(system: System, i: number, result: LoadResult): Promise<void> {
  const marker = `[load-${i}]`;
  system.openai.setScript([bash(`echo ${i} > load-${i}.txt`), finish], marker);
  const started = performance.now();
  const response = await postCode(system, { repoUrl: "acme/load", prompt: `${marker} add a file` });
  if (response.status === 429) {
    result.refusalMs.push(performance.now() - started);
    result.limited += 1;
    if (!response.headers.get("retry-after")) result.wrong.push(`${i}: 429 without Retry-After`);
    await response.arrayBuffer();
    return;
  }
  if (response.status !== 200) {
    result.wrong.push(`${i}: ${response.status} ${await response.text()}`);
    return;
  }
  result.accepted += 1;
  let first = true;
  const { events } = await collectEvents(response, {
    timeoutMs: 240_000,
    until: () => {
      if (first) result.firstEventMs.push(performance.now() - started);
      first = false;
      return false;
    },
  });
  if (events.at(-1)?.data.status === "succeeded") result.succeeded += 1;
  const jobId = response.headers.get("x-job-id") ?? "";
  const replay = await collectEvents(await fetch(`${system.url}/jobs/${jobId}/events`));
  if (!complete(events) || JSON.stringify(replay.events) !== JSON.stringify(events)) {
    result.incomplete.push(`${jobId}: ${events.map((e) => `${e.id}:${e.type}`).join(" ")}`);
  }
}

async function healthz(system: System, result: LoadResult): Promise<void> {
  const started = performance.now();
  const response = await fetch(`${system.url}/healthz`);
  await response.arrayBuffer();
  if (response.status !== 200) result.wrong.push(`healthz: ${response.status}`);
  else result.healthzMs.push(performance.now() - started);
}

/**
 * Sends `n` requests at once (repo acme/load must exist), with `healthzEvery` > 0 one GET /healthz
 * after each `healthzEvery` of them, and waits for every job to end.
 */
export async function runLoad(system: System, n: number, healthzEvery = 0): Promise<LoadResult> {
  const result: LoadResult = {
    accepted: 0,
    succeeded: 0,
    limited: 0,
    wrong: [],
    incomplete: [],
    firstEventMs: [],
    refusalMs: [],
    healthzMs: [],
    wallMs: 0,
  };
  const started = performance.now();
  const requests: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    requests.push(one(system, i, result));
    if (healthzEvery > 0 && (i + 1) % healthzEvery === 0) requests.push(healthz(system, result));
  }
  await Promise.all(requests);
  result.wallMs = performance.now() - started;
  return result;
}
