// Load on loopback: 100 concurrent POST /code from one token (running-job cap 16, the sandbox
// service's own limit), with a GET /healthz after every fifth. Every request must get a job or a
// 429 and every job a complete log; the table gets throughput and p99 time to the first event,
// and the p99 time to a 429 beside the p99 of the /healthz sent in the same burst (the floor).
import { startSystem } from "../test/e2e/harness";
import { runLoad } from "../test/e2e/load-run";
import { ms, percentile, type Row } from "./stats";

const REQUESTS = 100;
const HEALTHZ_EVERY = 5;

/** Runs the burst once and reports it; throws if a request or a job broke the contract. */
export async function benchLoad(): Promise<Row[]> {
  const system = await startSystem({ vars: { MAX_CONCURRENT_JOBS: "16", JOBS_PER_MINUTE: "1000" } });
  try {
    await system.github.createRepo("acme", "load", { "README.md": "# load\n" });
    const r = await runLoad(system, REQUESTS, HEALTHZ_EVERY);
    if (r.wrong.length > 0 || r.incomplete.length > 0) {
      throw new Error(`load contract broken: ${[...r.wrong, ...r.incomplete].slice(0, 5).join("; ")}`);
    }
    const seconds = r.wallMs / 1000;
    const refusal = percentile(r.refusalMs, 0.99);
    const floor = percentile(r.healthzMs, 0.99);
    return [
      {
        figure: `load: ${REQUESTS} concurrent POST /code — jobs / 429s / jobs ending in a PR`,
        value: `${r.accepted} / ${r.limited} / ${r.succeeded}`,
        target: "jobs + 429s = requests; every job ends with done",
      },
      {
        figure: "load: throughput until the last job ended (requests answered, jobs done per second)",
        value: `${(REQUESTS / seconds).toFixed(1)} req/s, ${(r.accepted / seconds).toFixed(2)} jobs/s over ${seconds.toFixed(1)} s`,
        target: "informational",
      },
      {
        figure: "load: p99 first event of an accepted job",
        value: ms(percentile(r.firstEventMs, 0.99)),
        target: "informational: the burst shares 2 cores with 16 jobs",
      },
      {
        figure: `load: p99 429 / p99 GET /healthz sent in the same burst (${r.limited} / ${r.healthzMs.length})`,
        value: `${ms(refusal)} / ${ms(floor)} (${(refusal / floor).toFixed(2)}×)`,
        target: "a refusal costs no more than the floor (≈ 1×)",
      },
    ];
  } finally {
    await system.close();
  }
}
