// How soon the sandbox service answers a command killed at its timeout, beside the same service
// answering a command that ends on its own after the same time (same run, interleaved rounds): the
// tests show that the kill happens (exit 124, children gone); this shows it happens on time.
import { type ContractHarness, startContractHarness } from "../test/sandbox-service/contract-harness";
import { ms, percentile, type Row } from "./stats";

// Whole seconds: the Modal backend rounds a timeout up to coreutils `timeout`'s seconds.
const TIMEOUT_MS = 1000;
const ROUNDS = 6;

async function timedExec(h: ContractHarness, sandboxId: string, body: object): Promise<number> {
  const started = performance.now();
  const reply = await h.call<{ exitCode: number }>("POST", `/v1/sandboxes/${sandboxId}/exec`, body);
  const took = performance.now() - started;
  if (reply.status !== 200) throw new Error(`exec failed: ${reply.status} ${JSON.stringify(reply.body)}`);
  return took;
}

/** p50 of a `sleep 30` killed at TIMEOUT_MS, and of `sleep TIMEOUT_MS` exiting by itself. */
async function killVersusExit(h: ContractHarness): Promise<{ killed: number; natural: number }> {
  const sandbox = await h.sandbox();
  const killed: number[] = [];
  const natural: number[] = [];
  try {
    for (let i = 0; i < ROUNDS; i++) {
      killed.push(await timedExec(h, sandbox.id, { argv: ["sleep", "30"], timeoutMs: TIMEOUT_MS }));
      natural.push(await timedExec(h, sandbox.id, { argv: ["sleep", String(TIMEOUT_MS / 1000)] }));
    }
  } finally {
    await h.call("DELETE", `/v1/sandboxes/${sandbox.id}`);
  }
  return { killed: percentile(killed, 0.5), natural: percentile(natural, 0.5) };
}

/** The timeout rows of the benchmark table, for both backends. */
export async function benchSandboxTimeout(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const kind of ["local", "modal"] as const) {
    const h = await startContractHarness(kind);
    try {
      const { killed, natural } = await killVersusExit(h);
      rows.push({
        figure: `exec killed at a ${TIMEOUT_MS} ms timeout, ${kind === "local" ? "local backend" : "modal backend via stand-in"}, p50`,
        value: `${ms(killed)} (${(killed / natural).toFixed(2)}× \`sleep ${TIMEOUT_MS / 1000}\` ending on its own, ${ms(natural)})`,
        target: "≤ 1.2×",
      });
    } finally {
      await h.close();
    }
  }
  return rows;
}
