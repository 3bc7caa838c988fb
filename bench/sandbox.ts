// Sandbox-service benchmarks, each beside a baseline measured in the same run: a sandbox ready to
// work (create + clone) for a mid-sized repository served over loopback HTTP by the GitHub
// stand-in, next to a bare `git clone --filter=blob:none`; and exec round trips next to raw exec.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ModalClient } from "modal";
import { runInModal } from "../src/sandbox-service/backends/modal-exec";
import { execIsolated } from "../src/sandbox-service/isolate";
import { type ContractHarness, startContractHarness } from "../test/sandbox-service/contract-harness";
import { type GitHubStandIn, startGitHubStandIn } from "../test/stand-ins/github";
import type { ModalStandIn } from "../test/stand-ins/modal";
import { ms, percentile, type Row } from "./stats";

const run = promisify(execFile);
const FILES = 3000;
const ROUNDS = 6;

/** A repository of `FILES` source-like files (about 6 MB) in nested directories. */
async function midSizedRepo(github: GitHubStandIn): Promise<string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < FILES; i++) {
    const body = `// file ${i}\n${randomBytes(700).toString("base64")}\n`.repeat(2);
    files[`src/m${i % 30}/d${i % 7}/file-${i}.ts`] = body;
  }
  await github.createRepo("bench", "mid", files);
  return `${github.webUrl}/bench/mid.git`;
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/** One bare partial clone of `url` into a fresh directory. */
async function bareClone(url: string): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), "bench-clone-"));
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, GIT_CONFIG_NOSYSTEM: "1" };
  try {
    const args = ["clone", "-q", "--filter=blob:none", "--single-branch", url, join(dir, "r")];
    return await timed(() => run("git", args, { env }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One create + clone through the service's HTTP API; the sandbox is terminated afterwards. */
async function sandboxReady(h: ContractHarness, url: string): Promise<number> {
  let id = "";
  const took = await timed(async () => {
    id = (await h.sandbox()).id;
    const reply = await h.call("POST", `/v1/sandboxes/${id}/clone`, { url });
    if (reply.status !== 200) throw new Error(`clone failed: ${JSON.stringify(reply.body)}`);
  });
  await h.call("DELETE", `/v1/sandboxes/${id}`);
  return took;
}

/** `true` through POST /exec, 30 times, next to `raw` doing the same below the service. */
async function execRoundTrip(
  h: ContractHarness,
  raw: () => Promise<unknown>,
): Promise<{ service: number; raw: number }> {
  const sandbox = await h.sandbox();
  const service: number[] = [];
  const direct: number[] = [];
  for (let i = 0; i < 30; i++) {
    service.push(await timed(() => h.call("POST", `/v1/sandboxes/${sandbox.id}/exec`, { argv: ["true"] })));
    direct.push(await timed(raw));
  }
  return { service: percentile(service, 0.5), raw: percentile(direct, 0.5) };
}

/** The local backend's raw exec: one bubblewrap jail around a scratch directory. */
async function localRaw(): Promise<{ run: () => Promise<unknown>; done: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "bench-exec-"));
  return {
    run: () => execIsolated(dir, { argv: ["true"], timeoutMs: 10_000, maxOutputBytes: 4096 }),
    done: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The Modal backend's raw exec: the SDK's exec (with the backend's wrapper) on a sandbox of its own. */
async function modalRaw(
  stand: ModalStandIn,
): Promise<{ run: () => Promise<unknown>; done: () => Promise<void> }> {
  const client = new ModalClient({ tokenId: stand.tokenId, tokenSecret: stand.tokenSecret });
  const app = await client.apps.fromName("bench-raw", { createIfMissing: true });
  const image = await client.images.fromRegistry("debian:bookworm-slim").build(app);
  const sandbox = await client.sandboxes.create(app, image, { workdir: "/workspace" });
  const run = () =>
    runInModal(sandbox, { argv: ["true"], timeoutMs: 10_000, mergeStderr: true, onStdout: () => {} });
  return {
    run,
    done: async () => {
      await sandbox.terminate();
      client.close();
    },
  };
}

/** The sandbox rows of the benchmark table. */
export async function benchSandbox(): Promise<Row[]> {
  const github = await startGitHubStandIn();
  const url = await midSizedRepo(github);
  const local = await startContractHarness("local");
  const modal = await startContractHarness("modal");
  try {
    // Interleaved rounds, so drift on this shared machine hits the baseline and the figures alike.
    const bare: number[] = [];
    const viaLocal: number[] = [];
    const viaModal: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      // The first clone of a round warms the server's caches for the rest: rotate who goes first.
      const order = [
        async () => bare.push(await bareClone(url)),
        async () => viaLocal.push(await sandboxReady(local, url)),
        async () => viaModal.push(await sandboxReady(modal, url)),
      ];
      for (let k = 0; k < order.length; k++) await order[(i + k) % order.length]?.();
    }
    const baseline = percentile(bare, 0.5);
    const localReady = percentile(viaLocal, 0.5);
    const modalReady = percentile(viaModal, 0.5);
    const lraw = await localRaw();
    const lexec = await execRoundTrip(local, lraw.run);
    await lraw.done();
    const mraw = await modalRaw(modal.modal as ModalStandIn);
    const mexec = await execRoundTrip(modal, mraw.run);
    await mraw.done();
    const ratio = (n: number) => `${ms(n)} (${(n / baseline).toFixed(2)}× bare clone ${ms(baseline)})`;
    return [
      {
        figure: `sandbox ready (create + clone, ${FILES} files), local backend, p50`,
        value: ratio(localReady),
        target: "≤ 1.2×",
      },
      {
        figure: `sandbox ready (create + clone, ${FILES} files), modal backend via stand-in, p50`,
        value: ratio(modalReady),
        target: "— (stand-in: the call shape, not Modal's speed)",
      },
      {
        figure: "exec `true` round trip through the service, local backend, p50",
        value: `${ms(lexec.service)} (raw jailed exec ${ms(lexec.raw)})`,
        target: "—",
      },
      {
        figure: "exec `true` round trip through the service, modal backend via stand-in, p50",
        value: `${ms(mexec.service)} (raw SDK exec ${ms(mexec.raw)})`,
        target: "—",
      },
    ];
  } finally {
    await Promise.all([local.close(), modal.close()]);
    await github.close();
  }
}
