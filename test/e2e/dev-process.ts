// The Worker as `npm run dev` runs it — `wrangler dev` as a child process with its state persisted
// to a directory — so a test can kill the runtime mid-job and start it again on the same state.
// The stand-ins and the sandbox service live in this process and outlive the restarts.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface DevWorker {
  url: string;
  /** Kills the runtime at once (SIGKILL to its process group), as a crash would. */
  kill(): Promise<void>;
  /** Starts `wrangler dev` again on the same port and persisted state. */
  start(): Promise<void>;
  logs(): string;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  if (!address || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** Starts `wrangler dev --persist-to <tmp>` with these vars and secrets; resolves once it serves. */
/** Fresh random secrets for a `wrangler dev` Worker and the stand-ins it talks to. */
export function devSecrets() {
  const secret = (prefix: string) => `${prefix}-${randomBytes(12).toString("hex")}`;
  return {
    OPENAI_API_KEY: secret("sk-test"),
    GITHUB_TOKEN: secret("ghp_test"),
    SANDBOX_SERVICE_TOKEN: secret("sbx"),
    CODE_API_TOKENS: secret("api"),
    SLACK_BOT_TOKEN: secret("xoxb"),
    SLACK_SIGNING_SECRET: secret("sign"),
  };
}

/**
 * The Worker's vars for a restart test: the stand-ins' and the service's URLs, unpaced GitHub
 * writes, and liveness short enough that a killed runtime is resumed within seconds.
 */
export function restartVars(
  openaiUrl: string,
  github: { apiUrl: string; webUrl: string },
  serviceUrl: string,
): Record<string, string> {
  return {
    OPENAI_BASE_URL: openaiUrl,
    OPENAI_MODEL: "scripted-model",
    GITHUB_API_URL: github.apiUrl,
    GITHUB_URL: github.webUrl,
    SLACK_API_URL: "http://127.0.0.1:9/api/",
    SANDBOX_SERVICE_URL: serviceUrl,
    GITHUB_WRITE_INTERVAL_MS: "0",
    JOB_HEARTBEAT_SECONDS: "1",
    JOB_STALL_SECONDS: "3",
    JOB_MAX_ATTEMPTS: "2",
  };
}

export async function startDevWorker(vars: Record<string, string>, secrets: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), "e2e-dev-"));
  const envFile = join(dir, "secrets.env");
  await writeFile(
    envFile,
    Object.entries(secrets)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(""),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  let output = "";
  const args = [
    "wrangler",
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(await freePort()),
    "--persist-to",
    join(dir, "state"),
    "--env-file",
    envFile,
    "--show-interactive-dev-session=false",
    "--log-level",
    "warn",
    ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
  ];
  const worker: DevWorker = {
    url,
    async start() {
      child = spawn("npx", args, { detached: true, stdio: ["ignore", "pipe", "pipe"], env: process.env });
      child.stdout?.on("data", (d: Buffer) => {
        output += d.toString();
      });
      child.stderr?.on("data", (d: Buffer) => {
        output += d.toString();
      });
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const ok = await fetch(`${url}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) return;
        if (child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 200)); // polling a child's readiness: nothing to await
      }
      throw new Error(`wrangler dev did not start:\n${output}`);
    },
    async kill() {
      const running = child;
      if (!running?.pid || running.exitCode !== null) return;
      const exited = once(running, "exit");
      process.kill(-running.pid, "SIGKILL");
      await exited;
      child = null;
    },
    logs: () => output,
    async close() {
      await worker.kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await worker.start();
  return worker;
}
