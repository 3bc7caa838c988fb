// The Worker's configuration schema (src/worker/config.ts) on plain var maps, as wrangler hands
// them over: defaults, per-var parse errors naming the var, the checks that span vars, and the
// keys a job needs — with .dev.vars.example's placeholders counting as missing.
import { readFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { describe, expect, it } from "vitest";
import { PLACEHOLDERS } from "../../src/shared/job-keys.mjs";
import { notConfigured, parseConfig, STEP_TIMEOUT_SECONDS } from "../../src/worker/config";

const keys = { OPENAI_API_KEY: "sk-real-key-1234", GITHUB_TOKEN: "ghp_real" };

function problems(vars: Record<string, string>): string[] {
  const result = parseConfig(vars);
  return result.ok ? [] : result.problems;
}

describe("config schema", () => {
  it("unset vars take their defaults", () => {
    const result = parseConfig({});
    expect(result.ok && result.config.budgets).toEqual({
      defaults: { maxSteps: 40, maxTokens: 2_000_000, maxMinutes: 20, commandTimeoutSeconds: 120 },
      ceilings: { maxSteps: 40, maxTokens: 2_000_000, maxMinutes: 20, commandTimeoutSeconds: 120 },
    });
    expect(result.ok && result.config.liveness).toEqual({
      heartbeatMs: 5_000,
      stallMs: 30_000,
      maxAttempts: 3,
    });
  });

  it("a stall window no longer than the heartbeat interval is refused", () => {
    expect(problems({ JOB_HEARTBEAT_SECONDS: "10", JOB_STALL_SECONDS: "10" })).toEqual([
      "JOB_STALL_SECONDS: (10) must exceed JOB_HEARTBEAT_SECONDS (10)",
    ]);
    expect(problems({ JOB_HEARTBEAT_SECONDS: "1", JOB_STALL_SECONDS: "3" })).toEqual([]);
  });

  it("a var that does not parse is a problem naming it, not a silent default", () => {
    expect(problems({ JOB_STALL_SECONDS: "0" })).toEqual([
      'JOB_STALL_SECONDS: must be a number above 0, not "0"',
    ]);
    expect(problems({ JOB_MAX_ATTEMPTS: "2.5", OPENAI_STREAM: "yes" })).toEqual([
      'OPENAI_STREAM: must be true or false, not "yes"',
      'JOB_MAX_ATTEMPTS: must be a whole number above 0, not "2.5"',
    ]);
    expect(problems({ AGENT_LIMIT_CEILINGS: "{maxSteps:1}" })).toEqual([
      "AGENT_LIMIT_CEILINGS: is not valid JSON",
    ]);
    expect(problems({ AGENT_LIMIT_CEILINGS: '{"maxStep":10}' })[0]).toMatch(
      /^AGENT_LIMIT_CEILINGS: .*maxStep/,
    );
  });

  it("the per-command ceiling must leave room within a Workflow step", () => {
    const fits = STEP_TIMEOUT_SECONDS - 60;
    expect(problems({ AGENT_LIMIT_CEILINGS: JSON.stringify({ commandTimeoutSeconds: fits }) })).toEqual([]);
    expect(problems({ AGENT_LIMIT_CEILINGS: JSON.stringify({ commandTimeoutSeconds: fits + 1 }) })).toEqual([
      `AGENT_LIMIT_CEILINGS: commandTimeoutSeconds (${fits + 1}) leaves no room in a Workflow step of ${STEP_TIMEOUT_SECONDS} s; at most ${fits}`,
    ]);
    // The default counts too when no ceiling is given: it is then the ceiling.
    expect(
      problems({ AGENT_COMMAND_TIMEOUT_SECONDS: String(fits + 1), AGENT_MAX_WALL_SECONDS: "3600" })[0],
    ).toMatch(/commandTimeoutSeconds \(\d+\) leaves no room/);
  });

  it("the setup phase defaults to no command and 600 s, and its limit must fit in a Workflow step", () => {
    const result = parseConfig({});
    expect(result.ok && result.config.setup).toEqual({ command: "", timeoutMs: 600_000 });
    const set = parseConfig({ SETUP_COMMAND: "  npm ci\n", SETUP_TIMEOUT_SECONDS: "30" });
    expect(set.ok && set.config.setup).toEqual({ command: "npm ci", timeoutMs: 30_000 });
    const fits = STEP_TIMEOUT_SECONDS - 60;
    expect(problems({ SETUP_TIMEOUT_SECONDS: String(fits) })).toEqual([]);
    expect(problems({ SETUP_TIMEOUT_SECONDS: String(fits + 1) })).toEqual([
      `SETUP_TIMEOUT_SECONDS: (${fits + 1}) leaves no room in a Workflow step of ${STEP_TIMEOUT_SECONDS} s; at most ${fits}`,
    ]);
    expect(problems({ SETUP_TIMEOUT_SECONDS: "0" })).toEqual([
      'SETUP_TIMEOUT_SECONDS: must be a whole number above 0, not "0"',
    ]);
  });

  it("a ceiling below its default, a command longer than the job, and half a GitHub App are refused", () => {
    expect(problems({ AGENT_MAX_STEPS: "50", AGENT_LIMIT_CEILINGS: '{"maxSteps":10}' })).toEqual([
      "AGENT_LIMIT_CEILINGS: maxSteps (10) is below its default AGENT_MAX_STEPS (50)",
    ]);
    expect(problems({ AGENT_COMMAND_TIMEOUT_SECONDS: "300", AGENT_MAX_WALL_SECONDS: "200" })).toEqual([
      "AGENT_COMMAND_TIMEOUT_SECONDS: (300) exceeds AGENT_MAX_WALL_SECONDS (200)",
    ]);
    expect(problems({ GITHUB_APP_ID: "42" })).toEqual([
      "GITHUB_APP_PRIVATE_KEY: must be set too: GITHUB_APP_ID is, and a GitHub App needs both",
    ]);
  });

  it("a ceiling above its default is the ceiling; the model's price comes from MODEL_PRICES", () => {
    const result = parseConfig({
      AGENT_LIMIT_CEILINGS: '{"maxSteps":60}',
      OPENAI_MODEL: "m",
      MODEL_PRICES: '{"m":{"inputPerMillion":1,"outputPerMillion":2}}',
    });
    expect(result.ok && result.config.budgets.ceilings.maxSteps).toBe(60);
    expect(result.ok && result.config.price).toEqual({ inputPerMillion: 1, outputPerMillion: 2 });
  });
});

describe("keys a job needs", () => {
  it("none missing with a model key and a token, or with a GitHub App instead of the token", () => {
    expect(notConfigured(keys)).toBeNull();
    expect(
      notConfigured({ OPENAI_API_KEY: "sk-x-1234", GITHUB_APP_ID: "7", GITHUB_APP_PRIVATE_KEY: "pem" }),
    ).toBeNull();
  });

  it("missing and placeholder keys are named, with the alternative for GitHub", () => {
    const none = notConfigured({});
    expect(none?.keys).toEqual(["OPENAI_API_KEY", "GITHUB_TOKEN"]);
    expect(none?.detail).toMatch(
      /^Missing OPENAI_API_KEY, for the model API; GITHUB_TOKEN, or GITHUB_APP_ID with GITHUB_APP_PRIVATE_KEY, for GitHub\./,
    );
    const placeholder = notConfigured({ ...keys, OPENAI_API_KEY: PLACEHOLDERS.OPENAI_API_KEY ?? "" });
    expect(placeholder?.keys).toEqual(["OPENAI_API_KEY"]);
    expect(placeholder?.detail).toMatch(/OPENAI_API_KEY \(still the placeholder from \.dev\.vars\.example\)/);
    expect(notConfigured({ ...keys, GITHUB_TOKEN: "  " })?.keys).toEqual(["GITHUB_TOKEN"]);
  });

  it("an invalid var is reported with the missing keys", () => {
    const both = notConfigured({ OPENAI_API_KEY: "sk-x-1234", JOB_MAX_ATTEMPTS: "0" });
    expect(both?.keys).toEqual(["GITHUB_TOKEN", "JOB_MAX_ATTEMPTS"]);
    expect(both?.detail).toMatch(/Invalid JOB_MAX_ATTEMPTS: must be a whole number above 0/);
  });

  it("the placeholder table is the one .dev.vars.example ships", () => {
    const example = readFileSync(".dev.vars.example", "utf8");
    // Commented-out examples (the GitHub App pair) count too.
    const shipped = parseEnv(example.replace(/^# ([A-Z_]+=)/gm, "$1"));
    for (const [key, placeholder] of Object.entries(PLACEHOLDERS)) {
      expect(shipped[key]?.replaceAll("\n", "\\n"), key).toBe(placeholder);
    }
  });
});
