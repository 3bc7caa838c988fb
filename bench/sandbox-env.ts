// A sandbox ready for the agent (create + clone + setup), cold against warm, in the same run, on
// the local backend: a repository served over loopback HTTP by the GitHub stand-in whose setup
// (a postCreateCommand-like exec in the setup phase) takes 3 s and writes a node_modules of
// `DEP_FILES` files. Cold: a fresh cache key, so the setup runs and the result is saved (the
// save is part of what a cold job pays). Warm: the saved key, so the sandbox starts from the
// copy, the clone moves it to the commit, and no setup command runs (no updateContentCommand).
import { randomBytes } from "node:crypto";
import type { EnvironmentReady, SandboxInfo } from "../src/protocol/sandbox";
import { type ContractHarness, startContractHarness } from "../test/sandbox-service/contract-harness";
import { startGitHubStandIn } from "../test/stand-ins/github";
import { ms, percentile, type Row } from "./stats";

const ROUNDS = 5;
const REPO_FILES = 300;
const DEP_FILES = 2000;
const SETUP = [
  "sleep 3",
  "for p in $(seq 0 49); do mkdir -p node_modules/p$p; done",
  // Shell built-ins only in the loop: the setup's time is the sleep, not thousands of forks.
  "blob=$(head -c 1536 /dev/urandom | base64 -w0)",
  `i=0; while [ $i -lt ${DEP_FILES} ]; do printf '%s' "$i$blob" > node_modules/p$((i % 50))/f$i.js; i=$((i + 1)); done`,
  "mkdir -p ~/.npm && echo cache > ~/.npm/index",
].join(" && ");

async function call<T>(h: ContractHarness, method: string, path: string, body?: unknown): Promise<T> {
  const reply = await h.call<T>(method, path, body);
  if (reply.status >= 300)
    throw new Error(`${method} ${path}: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

/** One sandbox made ready for the agent with `cacheKey`; resolves to its duration and whether it was warm. */
async function ready(
  h: ContractHarness,
  url: string,
  cacheKey: string,
): Promise<{ took: number; warm: boolean }> {
  const started = performance.now();
  const jobId = `bench-env-${randomBytes(6).toString("hex")}`;
  const environment = { repo: "bench/env", cacheKey };
  const sandbox = await call<SandboxInfo>(h, "POST", "/v1/sandboxes", { jobId, environment });
  const at = `/v1/sandboxes/${sandbox.id}`;
  await call(h, "POST", `${at}/clone`, { url });
  await call(h, "POST", `${at}/environment/begin`);
  if (!sandbox.warm) {
    const setup = await call<{ exitCode: number }>(h, "POST", `${at}/exec`, {
      argv: ["sh", "-c", SETUP],
      timeoutMs: 120_000,
    });
    if (setup.exitCode !== 0) throw new Error("the setup failed");
  }
  const done = await call<EnvironmentReady>(h, "POST", `${at}/environment/ready`, { save: !sandbox.warm });
  const took = performance.now() - started;
  if (!sandbox.warm && !done.saved) throw new Error("the cold setup was not saved");
  const check = await call<{ output: string }>(h, "POST", `${at}/exec`, {
    argv: ["sh", "-c", "ls node_modules | wc -l; cat ~/.npm/index"],
  });
  if (check.output !== "50\ncache\n") throw new Error(`the environment is not set up: ${check.output}`);
  await call(h, "DELETE", at);
  return { took, warm: sandbox.warm === true };
}

export async function benchSandboxEnv(): Promise<Row[]> {
  const github = await startGitHubStandIn();
  const files: Record<string, string> = { ".gitignore": "node_modules/\n", "package.json": "{}\n" };
  for (let i = 0; i < REPO_FILES; i++) files[`src/f${i}.ts`] = `export const x${i} = ${i};\n`;
  await github.createRepo("bench", "env", files);
  const url = `${github.webUrl}/bench/env.git`;
  const h = await startContractHarness("local");
  try {
    const saved = `saved-${randomBytes(4).toString("hex")}`;
    const first = await ready(h, url, saved);
    if (first.warm) throw new Error("a fresh key started warm");
    const cold: number[] = [first.took];
    const warm: number[] = [];
    // Interleaved, so drift on this shared machine hits both alike.
    for (let i = 0; i < ROUNDS; i++) {
      const w = await ready(h, url, saved);
      if (!w.warm) throw new Error("the saved key started cold");
      warm.push(w.took);
      if (i < ROUNDS - 1)
        cold.push((await ready(h, url, `cold-${i}-${randomBytes(4).toString("hex")}`)).took);
    }
    const c = percentile(cold, 0.5);
    const w = percentile(warm, 0.5);
    return [
      {
        figure: `sandbox ready (create + clone + setup: 3 s and ${DEP_FILES} node_modules files), local backend, cold p50`,
        value: ms(c),
        target: "—",
      },
      {
        figure: "the same from the environment cache (warm), p50",
        value: `${ms(w)} (${(w / c).toFixed(3)}× cold)`,
        target: "warm p50 ≤ 0.25× cold",
      },
    ];
  } finally {
    await h.close();
    await github.close();
  }
}
