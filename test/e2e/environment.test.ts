// Environments through the real Worker and the local backend: a repository's devcontainer.json
// sets it up after the clone, with network (its postCreateCommand fetches a fixture from a loopback
// server, and only then do its tests pass), while the agent that follows has none (the same fetch
// fails with the network-off line). The set-up environment is cached: a second job on the same
// lockfile starts warm and runs only updateContentCommand; a lockfile change sets it up again.
// A failing setup, one past SETUP_TIMEOUT_SECONDS and a devcontainer.json that does not parse end
// the job `setup_failed`; without a devcontainer.json, SETUP_COMMAND runs instead.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postCode, type System, startSystem } from "./harness";
import { collectEvents, type ParsedEvent } from "./sse";

const SETUP_COMMAND = 'echo "set up by SETUP_COMMAND" > "$HOME/setup.txt"';

let system: System;
let fixture: Server;
let fixtureUrl = "";
let fixtureHits = 0;
/** What the fixture server waits for before it answers (the cold job's first model call). */
let fixtureHold: Promise<void> = Promise.resolve();
/** The order in which the model was first asked and the fixture served, in the cold job. */
const order: string[] = [];

type Script = Parameters<System["openai"]["setScript"]>[0];
const bash = (command: string) => ({ toolCalls: [{ name: "bash", arguments: { command } }] });
const finish = {
  toolCalls: [{ name: "finish", arguments: { title: "Touch the readme", summary: "Done." } }],
};

function devcontainer(url: string): string {
  return `{
  // The repository's environment, JSONC as the Dev Container spec allows.
  "image": "mcr.microsoft.com/devcontainers/base:ubuntu", /* the Modal backend's image */
  "workspaceFolder": "/workspaces/envy/app",
  "onCreateCommand": "echo on-create >> .setup-log",
  "updateContentCommand": ["sh", "-c", "echo update-content >> .setup-log"],
  "postCreateCommand": {
    "fixture": "mkdir -p vendor && curl -fsS ${url}/fixture.txt -o vendor/fixture.txt",
  },
  "containerEnv": { "GREETING": "from containerEnv", "KEPT": "kept" },
  "remoteEnv": { "GREETING": "from remoteEnv" },
}
`;
}

beforeAll(async () => {
  fixture = createServer(async (req, res) => {
    await fixtureHold;
    order.push("fixture served");
    fixtureHits += 1;
    res.writeHead(req.url === "/fixture.txt" ? 200 : 404, { "content-type": "text/plain" });
    res.end(req.url === "/fixture.txt" ? "fixture-ok\n" : "not found\n");
  });
  await new Promise<void>((resolve) => fixture.listen(0, "127.0.0.1", resolve));
  fixtureUrl = `http://127.0.0.1:${(fixture.address() as AddressInfo).port}`;
  system = await startSystem({ vars: { SETUP_TIMEOUT_SECONDS: "10", SETUP_COMMAND } });
  await system.github.createRepo("acme", "envy", {
    "README.md": "# envy\n",
    ".gitignore": ".setup-log\nvendor/\n",
    "package-lock.json": '{ "lockfileVersion": 3 }\n',
    ".devcontainer/devcontainer.json": devcontainer(fixtureUrl),
    "app/test.sh":
      'set -e\n[ "$(cat vendor/fixture.txt)" = "fixture-ok" ]\necho "tests passed ($GREETING, $KEPT)"\n',
  });
  await system.github.createRepo("acme", "broken", {
    "README.md": "# broken\n",
    ".devcontainer.json": `{ "postCreateCommand": "echo fetching deps; echo 'E: the registry said no' >&2; exit 3" }`,
  });
  await system.github.createRepo("acme", "slow", {
    "README.md": "# slow\n",
    ".devcontainer/devcontainer.json": '{ "onCreateCommand": "echo starting; sleep 600" }',
  });
  await system.github.createRepo("acme", "badjson", {
    "README.md": "# bad\n",
    ".devcontainer/devcontainer.json":
      '{\n  "image": "node",\n  "postCreateCommand": "npm ci"\n  "x": 1\n}\n',
  });
  await system.github.createRepo("acme", "plain", { "README.md": "# plain\n" });
}, 180_000);

afterAll(async () => {
  await system?.close();
  await new Promise((resolve) => fixture?.close(resolve));
});

async function run(repo: string, marker: string, script: Script): Promise<ParsedEvent[]> {
  system.openai.setScript(script, marker);
  const response = await postCode(system, { repoUrl: repo, prompt: `${marker} touch the readme` });
  expect(response.status).toBe(200);
  return (await collectEvents(response, { timeoutMs: 90_000 })).events;
}

const statuses = (events: ParsedEvent[]) =>
  events.filter((e) => e.type === "status").map((e) => e.data as { phase: string; message: string });
const steps = (events: ParsedEvent[], setup: boolean) =>
  events
    .filter((e) => e.type === "step" && (e.data.tool === "setup") === setup)
    .map((e) => e.data as { n: number; tool: string; input: string; output: string; exitCode?: number });
const ending = (events: ParsedEvent[]) => ({
  error: events.find((e) => e.type === "error")?.data as { code: string; message: string } | undefined,
  done: events.at(-1)?.data as { status: string },
});

const agentScript = (probe: string, first: Script[number] = bash("sh test.sh")): Script => [
  first,
  bash(`curl -fsS ${fixtureUrl}/fixture.txt`),
  bash(probe),
  bash("echo touched >> ../README.md"),
  finish,
];

describe("environments", () => {
  let cold: ParsedEvent[];

  it("sets the repository up with network before the agent, which then works without", async () => {
    // The fixture is served only once the model was asked: the first model call overlaps setup
    // (were the model to wait for setup, setup would time out); the agent's command still waits.
    const { promise, resolve } = Promise.withResolvers<void>();
    fixtureHold = promise;
    const firstTurn = () => {
      order.push("model asked");
      resolve();
      return bash("sh test.sh");
    };
    cold = await run("acme/envy", "[env-cold]", agentScript("cat .setup-log", firstTurn));
    fixtureHold = Promise.resolve();
    expect(ending(cold).done).toMatchObject({ status: "succeeded" });
    expect(order).toEqual(["model asked", "fixture served"]);
    const phases = statuses(cold).map((s) => s.phase);
    expect(phases).toEqual([
      "queued",
      "provisioning",
      "cloning",
      "setting-up",
      "setting-up",
      "working",
      "publishing",
    ]);
    // Setup's steps come after setting-up began and before the agent works, in the spec's order.
    const types = cold.map((e) => (e.type === "status" ? `status:${e.data.phase}` : e.type));
    const firstSetup = cold.findIndex((e) => e.type === "step" && e.data.tool === "setup");
    expect(firstSetup).toBeGreaterThan(types.indexOf("status:setting-up"));
    expect(cold.findLastIndex((e) => e.type === "step" && e.data.tool === "setup")).toBeLessThan(
      types.indexOf("status:working"),
    );
    expect(steps(cold, true).map(({ n, input, exitCode }) => ({ n, input, exitCode }))).toEqual([
      { n: 1, input: "echo on-create >> .setup-log", exitCode: 0 },
      { n: 2, input: "sh -c 'echo update-content >> .setup-log'", exitCode: 0 },
      {
        n: 3,
        input: `fixture: mkdir -p vendor && curl -fsS ${fixtureUrl}/fixture.txt -o vendor/fixture.txt`,
        exitCode: 0,
      },
    ]);
    // The local backend's note on the image it cannot use is part of the status message.
    expect(statuses(cold)[3]?.message).toBe(
      "Setting up the environment from .devcontainer/devcontainer.json. The local backend ignores devcontainer image mcr.microsoft.com/devcontainers/base:ubuntu; commands run on this host's tools.",
    );
    expect(statuses(cold)[4]?.message).toMatch(/set up\. It was cached/);
    const [tests, offline, log] = steps(cold, false);
    // The tests pass only with what setup fetched, in workspaceFolder, with remoteEnv over containerEnv.
    expect(tests).toMatchObject({ exitCode: 0 });
    expect(tests?.output).toContain("tests passed (from remoteEnv, kept)");
    expect(offline?.exitCode).not.toBe(0);
    expect(offline?.output).toMatch(/network is off while the agent works/);
    expect(offline?.output).toMatch(/devcontainer\.json .*SETUP_COMMAND/);
    expect(log?.output).toBe("on-create\nupdate-content\n");
    expect(fixtureHits).toBe(1);
    // The job page lists setup's commands apart from the agent's steps, which alone are counted.
    const jobId = (cold[0]?.data as { jobId?: string } | undefined)?.jobId ?? "";
    const page = await (
      await fetch(`${system.url}/jobs/${jobId}`, { headers: { accept: "text/html" } })
    ).text();
    expect(page.match(/<span class="step-n">Setup \d+<\/span>/g)).toEqual([
      '<span class="step-n">Setup 1</span>',
      '<span class="step-n">Setup 2</span>',
      '<span class="step-n">Setup 3</span>',
    ]);
    expect(page).toContain('<dd id="step-count">4</dd>');
    // Setup's files are the repository's ignored ones: the pull request holds the agent's change only.
    const pull = system.github.pulls.at(-1);
    const changed = await system.github.git(
      "acme",
      "envy",
      "diff",
      "--name-only",
      "main",
      `refs/heads/${pull?.head}`,
    );
    expect(changed.trim()).toBe("README.md");
  });

  it("starts a second job on the same lockfile warm: only updateContentCommand runs", async () => {
    const warm = await run("acme/envy", "[env-warm]", agentScript("cat .setup-log"));
    expect(ending(warm).done).toMatchObject({ status: "succeeded" });
    const setting = statuses(warm).filter((s) => s.phase === "setting-up");
    expect(setting[0]?.message).toMatch(
      /^Started warm from the environment cached for .*updateContentCommand only/,
    );
    expect(setting[1]?.message).toBe("The environment is set up.");
    expect(steps(warm, true).map((s) => s.input)).toEqual(["sh -c 'echo update-content >> .setup-log'"]);
    const [tests, offline, log] = steps(warm, false);
    expect(tests).toMatchObject({ exitCode: 0 });
    expect(offline?.output).toMatch(/network is off while the agent works/);
    // The cached workspace, moved to the job's commit: the cold setup's log and this job's update.
    expect(log?.output).toBe("on-create\nupdate-content\nupdate-content\n");
    expect(fixtureHits).toBe(1);
  });

  it("sets up afresh once a lockfile changed", async () => {
    await system.github.pushCommit(
      "acme",
      "envy",
      "main",
      { "package-lock.json": '{ "lockfileVersion": 4 }\n' },
      "Bump",
    );
    const again = await run("acme/envy", "[env-lock]", agentScript("cat .setup-log"));
    expect(ending(again).done).toMatchObject({ status: "succeeded" });
    expect(statuses(again).find((s) => s.phase === "setting-up")?.message).not.toMatch(/warm/);
    expect(steps(again, true)).toHaveLength(3);
    expect(steps(again, false)[2]?.output).toBe("on-create\nupdate-content\n");
    expect(fixtureHits).toBe(2);
  });

  it("a failing setup ends the job setup_failed with its output's tail, before the agent", async () => {
    const events = await run("acme/broken", "[env-broken]", [finish]);
    const { error, done } = ending(events);
    expect(done).toMatchObject({ status: "failed" });
    expect(error?.code).toBe("setup_failed");
    expect(error?.message).toMatch(
      /^Setup failed: postCreateCommand `echo fetching deps;.*` exited with 3\./,
    );
    expect(error?.message).toContain("fetching deps\nE: the registry said no");
    expect(steps(events, true)).toMatchObject([{ n: 1, exitCode: 3 }]);
    expect(steps(events, false)).toEqual([]);
    expect(statuses(events).map((s) => s.phase)).not.toContain("working");
  });

  it("a setup past SETUP_TIMEOUT_SECONDS ends the job setup_failed, saying it timed out", async () => {
    const events = await run("acme/slow", "[env-slow]", [finish]);
    const { error } = ending(events);
    expect(error?.code).toBe("setup_failed");
    expect(error?.message).toMatch(
      /^Setup timed out: onCreateCommand `echo starting; sleep 600` ran past the setup's 10 s \(SETUP_TIMEOUT_SECONDS\)\./,
    );
    expect(error?.message).toContain("starting");
    expect(steps(events, false)).toEqual([]);
  });

  it("a devcontainer.json that does not parse fails the job, naming the error and where", async () => {
    const events = await run("acme/badjson", "[env-badjson]", [finish]);
    expect(ending(events).error).toEqual({
      code: "setup_failed",
      message: ".devcontainer/devcontainer.json does not parse: CommaExpected at line 4, column 3.",
    });
    expect(statuses(events).map((s) => s.phase)).not.toContain("provisioning");
  });

  it("without a devcontainer.json, SETUP_COMMAND sets the repository up", async () => {
    const events = await run("acme/plain", "[env-plain]", [
      bash('cat "$HOME/setup.txt"'),
      bash("echo touched >> README.md"),
      finish,
    ]);
    expect(ending(events).done).toMatchObject({ status: "succeeded" });
    expect(statuses(events).find((s) => s.phase === "setting-up")?.message).toBe(
      "Setting up the environment from SETUP_COMMAND.",
    );
    expect(steps(events, true).map((s) => s.input)).toEqual([SETUP_COMMAND]);
    expect(steps(events, false)[0]?.output).toBe("set up by SETUP_COMMAND\n");
    expect(system.github.violations).toEqual([]);
  });
});
