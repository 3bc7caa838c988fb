// `npm run dev` as a newcomer first runs it, with no keys: it writes .dev.vars 0600, says which
// keys jobs lack, still starts both processes (so POST /code answers with the clear refusal),
// and hands the sandbox service none of the Worker's secrets — not from .dev.vars, not from the
// shell. A wider .dev.vars is tightened with a warning, and a child that fails makes it exit
// non-zero.

import { once } from "node:events";
import { appendFile, chmod, readFile, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type DevProject, descendants, devProject, waitUntilServing } from "./dev-command";

const WORKER_SECRETS = [
  "OPENAI_API_KEY",
  "GITHUB_TOKEN",
  "GITHUB_APP_PRIVATE_KEY",
  "CODE_API_TOKENS",
  "SLACK_BOT_TOKEN",
  "SLACK_SIGNING_SECRET",
];
const fromShell = {
  OPENAI_API_KEY: "sk-exported-in-the-shell-0001",
  GITHUB_TOKEN: "ghp_exportedintheshell0001",
};

let project: DevProject;
beforeAll(async () => {
  project = await devProject();
});
afterAll(async () => {
  await project?.close();
});

it("first run: .dev.vars 0600, the missing keys named, both started, no secret in the sandbox service", async () => {
  const dev = project.run(fromShell);
  const gone = () => dev.child.exitCode !== null;
  try {
    await waitUntilServing(`${project.sandboxUrl}/healthz`, gone, dev.output);
    await waitUntilServing(`${project.workerUrl}/healthz`, gone, dev.output);
    const varsFile = join(project.dir, ".dev.vars");
    expect((await stat(varsFile)).mode & 0o777).toBe(0o600);
    const output = dev.output();
    expect(output).toContain('"msg":"wrote .dev.vars with fresh tokens');
    expect(output).toContain(
      '"msg":"missing OPENAI_API_KEY (still the placeholder from .dev.vars.example), for the model API"',
    );
    expect(output).toContain(
      '"msg":"missing GITHUB_TOKEN (still the placeholder from .dev.vars.example), or GITHUB_APP_ID with GITHUB_APP_PRIVATE_KEY, for GitHub"',
    );

    // Every line of dev.mjs's own is one JSON object (wrangler's and the service's pass through).
    const own = output.split("\n").filter((line) => line.includes('"process":"dev"'));
    expect(own.length).toBeGreaterThan(3);
    expect(output).not.toMatch(/^\[dev\]/m);
    for (const line of own)
      expect(JSON.parse(line)).toMatchObject({ time: expect.any(String), msg: expect.any(String) });

    const vars = parseEnv(await readFile(varsFile, "utf8"));
    const secretValues = [...Object.values(fromShell), vars.CODE_API_TOKENS ?? "unset"];
    const services = (await descendants(dev.child.pid ?? 0)).filter((p) =>
      p.cmdline.includes("src/sandbox-service/server.ts"),
    );
    expect(services.length).toBeGreaterThan(0);
    for (const service of services) {
      const env = Object.fromEntries(
        service.environ
          .split("\0")
          .filter(Boolean)
          .map((kv) => [kv.split("=")[0], kv]),
      );
      expect(Object.keys(env).filter((k) => WORKER_SECRETS.includes(k))).toEqual([]);
      for (const value of secretValues) expect(service.environ).not.toContain(value);
      // It did get its own key.
      expect(env.SANDBOX_SERVICE_TOKEN).toBe(`SANDBOX_SERVICE_TOKEN=${vars.SANDBOX_SERVICE_TOKEN}`);
    }

    // The Worker runs, and refuses jobs naming what is missing.
    const response = await fetch(`${project.workerUrl}/code`, {
      method: "POST",
      headers: { authorization: `Bearer ${vars.CODE_API_TOKENS}`, "content-type": "application/json" },
      body: JSON.stringify({ repoUrl: "acme/api", prompt: "add a test" }),
    });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      title: "Server not configured",
      missing: ["OPENAI_API_KEY", "GITHUB_TOKEN"],
    });

    // wrangler dev serves the job page's script from public/, with the page's headers.
    const script = await fetch(`${project.workerUrl}/job.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-security-policy")).toMatch(/^default-src 'none'; script-src 'self';/);
    expect(script.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await script.text()).toContain("new EventSource(");

    // The job history's migrations were applied to the local D1 before wrangler dev started.
    expect(output).toContain('"msg":"applying the job history\'s migrations to the local D1 (DB)"');
    const history = await fetch(`${project.workerUrl}/jobs`, {
      headers: { authorization: `Bearer ${vars.CODE_API_TOKENS}` },
    });
    expect(history.status).toBe(200);
    expect(await history.json()).toEqual({ jobs: [], nextCursor: null });
  } finally {
    // Ctrl-C as dev.mjs sees it: it stops both children and exits 0 (and so does npm).
    // (Not the `sh -c` npm runs it under, whose command line names the script too.)
    const script = (await descendants(dev.child.pid ?? 0)).find((p) =>
      /^\S*node scripts\/dev\.mjs/.test(p.cmdline),
    );
    process.kill(script?.pid ?? -(dev.child.pid ?? 0), "SIGINT");
  }
  expect(await dev.exited).toBe(0);
  expect(dev.output()).toMatch(/"msg":"stopped; sandboxes kept for the next process"/);
}, 120_000);

it("a wider .dev.vars is tightened with a warning; a child that fails makes it exit non-zero", async () => {
  const varsFile = join(project.dir, ".dev.vars");
  await chmod(varsFile, 0o644);
  // Something else already holds the sandbox service's port, so the service cannot start.
  const squatter = createServer();
  squatter.listen(Number(new URL(project.sandboxUrl).port), "127.0.0.1");
  await once(squatter, "listening");
  try {
    const dev = project.run();
    const code = await dev.exited;
    expect(dev.output()).toContain(
      '"level":"warn","msg":".dev.vars was readable by others (mode 644); it holds secrets, so it is now 0600."',
    );
    expect((await stat(varsFile)).mode & 0o777).toBe(0o600);
    expect(dev.output()).toMatch(/"level":"error","msg":"sandbox exited \(1\); stopping the rest\."/);
    expect(code).not.toBe(0);
  } finally {
    squatter.close();
  }
}, 120_000);

it("an optional secret in .dev.vars (ADMIN_API_TOKENS) reaches the Worker, in no argv and no file but .dev.vars", async () => {
  const varsFile = join(project.dir, ".dev.vars");
  const admin = `ops-admin-${Date.now().toString(36)}-0123456789abcdef`;
  await appendFile(varsFile, `\nADMIN_API_TOKENS=ops:${admin}\n`);
  const dev = project.run();
  const gone = () => dev.child.exitCode !== null;
  try {
    await waitUntilServing(`${project.workerUrl}/healthz`, gone, dev.output);
    expect(dev.output()).toContain('"msg":"optional secrets from .dev.vars passed to the Worker"');
    // Only an admin token may name another tenant: 200 says the Worker holds ADMIN_API_TOKENS.
    const history = await fetch(`${project.workerUrl}/jobs?tenant=api:nobody`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(history.status).toBe(200);
    expect(await readFile(join(project.dir, ".wrangler-dev.toml"), "utf8")).not.toContain(admin);
    for (const p of await descendants(dev.child.pid ?? 0)) expect(p.cmdline).not.toContain(admin);
  } finally {
    const script = (await descendants(dev.child.pid ?? 0)).find((p) =>
      /^\S*node scripts\/dev\.mjs/.test(p.cmdline),
    );
    process.kill(script?.pid ?? -(dev.child.pid ?? 0), "SIGINT");
  }
  expect(await dev.exited).toBe(0);
}, 120_000);
