#!/usr/bin/env node
// `npm run dev`: the whole system on this machine — the sandbox service (local bubblewrap backend)
// and the Worker on workerd via `wrangler dev`, both configured from .dev.vars. Ctrl-C stops both.
// First it applies the job history's D1 migrations (migrations/) to the local database.
// On first run it writes .dev.vars (mode 0600) from .dev.vars.example with fresh random tokens.
// It says which keys jobs still lack, and starts anyway: the Worker then refuses jobs naming them.
// Arguments go on to `wrangler dev` (`npm run dev -- --port 8790`). It exits non-zero when a
// child fails to start or exits with an error.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { isPlaceholder, missingJobKeys, PLACEHOLDERS } from "../src/shared/job-keys.mjs";

const VARS = ".dev.vars";
/** Secrets a deployment may leave unset; see `devConfig`. */
const OPTIONAL_SECRETS = [
  "GITHUB_APP_PRIVATE_KEY",
  "ADMIN_API_TOKENS",
  "OTEL_EXPORTER_OTLP_HEADERS",
  "GITHUB_WEBHOOK_SECRET",
];
const DEV_CONFIG = ".wrangler-dev.toml";
// Its own lines are JSON like every other process's (time, level, msg; `process` tells them from
// the service's); wrangler's and the service's output passes through untouched (stdio inherited).
const say = (msg, level = "info", fields = {}) =>
  console.log(JSON.stringify({ time: new Date().toISOString(), level, msg, process: "dev", ...fields }));

if (!existsSync(VARS)) {
  const text = readFileSync(".dev.vars.example", "utf8")
    .replace(/^CODE_API_TOKENS=.*$/m, `CODE_API_TOKENS=${randomBytes(24).toString("base64url")}`)
    .replace(/^SANDBOX_SERVICE_TOKEN=.*$/m, `SANDBOX_SERVICE_TOKEN=${randomBytes(24).toString("base64url")}`);
  // Created 0600 in one step (`wx`: never over a file that appeared meanwhile): it holds secrets.
  writeFileSync(VARS, text, { mode: 0o600, flag: "wx" });
  say(`wrote ${VARS} with fresh tokens; put your OpenAI and GitHub keys in it.`);
} else if ((statSync(VARS).mode & 0o077) !== 0) {
  const was = (statSync(VARS).mode & 0o777).toString(8);
  chmodSync(VARS, 0o600);
  say(`${VARS} was readable by others (mode ${was}); it holds secrets, so it is now 0600.`, "warn");
}
const vars = parseEnv(readFileSync(VARS, "utf8"));
reportConfiguration(vars);

// The sandbox service gets its own settings and the basics a process needs, never the Worker's
// secrets (model key, GitHub and Slack tokens, API tokens), whether from .dev.vars or the shell.
// The OTLP collector's endpoint and headers are the service's own too: it exports its spans there.
const SERVICE_KEY =
  /^(SANDBOX_|MODAL_|ENV_CACHE_)|^(PORT|HOST|BWRAP_PATH|MAX_SANDBOXES|OTEL_EXPORTER_OTLP_(ENDPOINT|HEADERS))$/;
const BASICS =
  /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|TZ|TERM|TMPDIR|LC_\w+|NODE_EXTRA_CA_CERTS|SSL_CERT_(FILE|DIR))$|^(https?|no|all)_proxy$/i;
const pick = (source, pattern) => Object.fromEntries(Object.entries(source).filter(([k]) => pattern.test(k)));
const serviceEnv = { ...pick(process.env, BASICS), ...pick(vars, SERVICE_KEY) };
const workerEnv = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" };

applyMigrations();

const children = [
  // node --import tsx rather than npx: npx would hand the service npm's own environment.
  ["sandbox", process.execPath, ["--import", "tsx", "src/sandbox-service/server.ts"], serviceEnv],
  // wrangler reads .dev.vars itself; its [dev] section sets the address (127.0.0.1:8787).
  [
    "worker",
    "npx",
    ["wrangler", "dev", ...devConfig({ ...process.env, ...vars }), ...process.argv.slice(2)],
    workerEnv,
  ],
].map(([name, cmd, args, env]) => {
  const child = spawn(cmd, args, { env, stdio: "inherit", detached: true });
  const ended = new Promise((resolve) => {
    child.on("error", (error) => {
      failed(name, `could not start: ${error.message}`, 1);
      resolve();
    });
    child.on("exit", (code, signal) => {
      failed(name, `exited (${signal ?? code})`, code === 0 ? 0 : (code ?? 1));
      resolve();
    });
  });
  return { child, ended };
});

let stopping = false;
function failed(name, what, code) {
  if (stopping) return;
  say(`${name} ${what}; stopping the rest.`, code === 0 ? "info" : "error", { child: name });
  stop(code);
}

async function stop(code) {
  if (stopping) return;
  stopping = true;
  const signalAll = (signal) => {
    for (const { child } of children) {
      try {
        if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, signal);
      } catch {
        // Already gone: nothing to stop.
      }
    }
  };
  signalAll("SIGTERM");
  // The sandbox service terminates its sandboxes on SIGTERM; give it time, not forever.
  const timer = setTimeout(() => {
    signalAll("SIGKILL");
    process.exit(code);
  }, 10_000);
  timer.unref();
  await Promise.all(children.map(({ ended }) => ended));
  process.exit(code);
}
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

/**
 * `wrangler dev` hands the Worker only the .dev.vars keys wrangler.toml declares ([vars] or
 * [secrets] required), and an optional secret cannot be "required": deploy would then demand it.
 * So when .dev.vars sets one, the Worker runs from a copy of wrangler.toml beside it (git-ignored;
 * paths and .dev.vars resolve as for the original) whose list names it too: names only, so no
 * value is written anywhere new or put in any process's argv.
 */
function devConfig(values) {
  const extra = OPTIONAL_SECRETS.filter((key) => values[key]);
  if (extra.length === 0) return [];
  const text = readFileSync("wrangler.toml", "utf8");
  const list = /^required = \[$/m;
  if (!list.test(text)) {
    say("wrangler.toml has no `required = [` list; optional secrets stay unset", "warn", { keys: extra });
    return [];
  }
  const names = extra.map((key) => `  "${key}",`).join("\n");
  const note = "# Written by npm run dev (scripts/dev.mjs) from wrangler.toml; edit that one instead.\n";
  writeFileSync(DEV_CONFIG, note + text.replace(list, `required = [\n${names}`));
  say("optional secrets from .dev.vars passed to the Worker", "info", { keys: extra, config: DEV_CONFIG });
  return ["--config", DEV_CONFIG];
}

/**
 * The job history's schema (migrations/) on the local D1 that `wrangler dev` then serves, before
 * the Worker starts; done ones are skipped. A `--persist-to` given for `wrangler dev` is used here
 * too, so both see one database. stdin is closed, so wrangler does not stop to ask.
 */
function applyMigrations() {
  const args = process.argv.slice(2);
  const at = args.findIndex((a) => a === "--persist-to" || a.startsWith("--persist-to="));
  const persist = at < 0 ? [] : args[at].includes("=") ? [args[at]] : args.slice(at, at + 2);
  say("applying the job history's migrations to the local D1 (DB)");
  const run = spawnSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", ...persist], {
    env: workerEnv,
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (run.status !== 0) {
    say(`applying the D1 migrations failed (${run.error?.message ?? `exit ${run.status ?? run.signal}`}).`);
    process.exit(run.status || 1);
  }
}

/** Says which keys jobs still lack and which placeholders are left, from the list the Worker uses. */
function reportConfiguration(values) {
  const missing = missingJobKeys(values);
  const named = new Set(missing.flatMap((m) => m.keys));
  const placeholders = Object.keys(PLACEHOLDERS).filter(
    (key) => !named.has(key) && isPlaceholder(values, key),
  );
  if (missing.length === 0 && placeholders.length === 0) return;
  say(`${VARS} is not complete`, "warn", { missing: missing.flatMap((m) => m.keys), placeholders });
  for (const m of missing) say(`missing ${m.text}`, "warn", { keys: m.keys });
  for (const key of placeholders)
    say(`${key} is still the placeholder from .dev.vars.example`, "warn", { key });
  if (missing.length > 0) {
    say(
      "Starting anyway: until these are set, POST /code answers 503 and Slack's /pr replies naming them.",
      "warn",
    );
  }
  say(`Edit ${VARS}, then restart npm run dev.`, "warn");
}
