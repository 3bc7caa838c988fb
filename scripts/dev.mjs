#!/usr/bin/env node
// `npm run dev`: the whole system on this machine — the sandbox service (local bubblewrap backend)
// and the Worker on workerd via `wrangler dev`, both configured from .dev.vars. Ctrl-C stops both.
// On first run it writes .dev.vars from .dev.vars.example with fresh random tokens.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseEnv } from "node:util";

const VARS = ".dev.vars";
if (!existsSync(VARS)) {
  copyFileSync(".dev.vars.example", VARS);
  const text = readFileSync(VARS, "utf8")
    .replace(/^CODE_API_TOKENS=.*$/m, `CODE_API_TOKENS=${randomBytes(24).toString("base64url")}`)
    .replace(/^SANDBOX_SERVICE_TOKEN=.*$/m, `SANDBOX_SERVICE_TOKEN=${randomBytes(24).toString("base64url")}`);
  writeFileSync(VARS, text, { mode: 0o600 });
  console.log(`[dev] wrote ${VARS} with fresh tokens; put your OpenAI and GitHub keys in it.`);
}
const vars = parseEnv(readFileSync(VARS, "utf8"));
const base = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" };

const children = [
  ["sandbox", "npx", ["tsx", "src/sandbox-service/server.ts"], { ...base, ...vars }],
  ["worker", "npx", ["wrangler", "dev", "--ip", "127.0.0.1", "--port", "8787"], base],
].map(([name, cmd, args, env]) => {
  const child = spawn(cmd, args, { env, stdio: "inherit", detached: true });
  child.on("exit", (code, signal) => {
    console.log(`[dev] ${name} exited (${signal ?? code}); stopping the rest.`);
    stop(code ?? 1);
  });
  return child;
});

let stopping = false;
function stop(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children) {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      // Already gone: nothing to stop.
    }
  }
  setTimeout(() => process.exit(code), 3000).unref();
}
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));
