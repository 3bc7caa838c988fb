// Private repositories end to end: the real Worker on workerd clones a private repository through
// its own read-only git proxy, with a GitHub token (PAT) and with a GitHub App (a contents:read
// installation token narrowed to the repository). The sandbox service is given only the job's
// clone ticket; a tap in front of it checks that, and probes the proxy with and without the ticket
// while the clone runs. The scripted agent then looks everywhere a credential could hide — the
// environment, the clone's config, git's credential stores, /proc — and none of the GitHub token,
// the installation tokens or the ticket may appear in anything it saw.

import { generateKeyPairSync, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTEXT_PATHS } from "../../src/worker/agent/repo-context";
import type { Script } from "../stand-ins/openai-script";
import { postCode, type System, startSystem } from "./harness";
import type { TappedRequest } from "./service-tap";
import { collectEvents, type ParsedEvent } from "./sse";

/** What the agent runs, one bash call each, to look for credentials inside the sandbox. */
const LOOKS = [
  "env",
  "cat .git/config",
  "git config -l --show-origin",
  "git remote -v",
  "ls -la ~; cat ~/.git-credentials ~/.config/git/credentials 2>&1; git config --get-all credential.helper; echo looked",
  `for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do echo "== $f"; tr '\\0' '\\n' < "$f"; echo; done 2>&1`,
  "grep -r -a -l -i -E 'extraheader|x-access-token|bearer' .git ~ /tmp 2>&1; echo grep-exit=$?",
];

function script(marker: string): Script {
  return [
    ...LOOKS.map((command) => ({ toolCalls: [{ name: "bash", arguments: { command } }] })),
    {
      toolCalls: [{ name: "edit", arguments: { path: "README.md", old: "# vault", new: "# vault, edited" } }],
    },
    {
      toolCalls: [
        { name: "finish", arguments: { title: `Edit the private README ${marker}`, summary: "Edited." } },
      ],
    },
  ];
}

interface Probes {
  jobId: string;
  ticket: string;
  body: { url: string; ref?: string; remoteUrl?: string };
  statuses: Record<string, number>;
}

/** Probes the git proxy while the clone request is in flight (its ticket is live). */
function probeDuringClone(system: () => System, seen: Probes[]) {
  return async (request: TappedRequest) => {
    if (request.method !== "POST" || !request.path.endsWith("/clone")) return;
    const ticket = String(request.headers["clone-ticket"] ?? "");
    const body = JSON.parse(request.body) as Probes["body"];
    const jobId = body.url.split("/").at(-1) ?? "";
    const base = `${system().url}/git/${jobId}`;
    const at = async (path: string, auth?: string, init: RequestInit = {}) => {
      const response = await fetch(`${base}/${path}`, {
        ...init,
        headers: { ...(auth ? { authorization: `Bearer ${auth}` } : {}), ...(init.headers ?? {}) },
      });
      await response.arrayBuffer();
      return response.status;
    };
    const refs = "info/refs?service=git-upload-pack";
    const statuses = {
      noTicket: await at(refs),
      wrongTicket: await at(refs, "A".repeat(43)),
      otherJob: await fetch(`${system().url}/git/${randomUUID()}/${refs}`, {
        headers: { authorization: `Bearer ${ticket}` },
      }).then((r) => r.status),
      receivePackRefs: await at("info/refs?service=git-receive-pack", ticket),
      receivePackPost: await at("git-receive-pack", ticket, { method: "POST", body: "0000" }),
      otherPath: await at("HEAD", ticket),
      uploadPack: await at(refs, ticket),
    };
    seen.push({ jobId, ticket, body, statuses });
  };
}

/** Starts a system, runs one job on the private `acme/vault`, and collects what the checks need. */
async function privateJob(options: { app: boolean }) {
  const probes: Probes[] = [];
  let system: System | undefined;
  const hook = probeDuringClone(() => system as System, probes);
  if (options.app) {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs1", format: "pem" },
    });
    system = await startSystem({
      github: { app: { appId: "4343", publicKey } },
      vars: { GITHUB_APP_ID: "4343" },
      secretsOverride: { GITHUB_APP_PRIVATE_KEY: privateKey },
      serviceHook: hook,
    });
  } else system = await startSystem({ serviceHook: hook });
  await system.github.createRepo("acme", "vault", { "README.md": "# vault\n" }, { private: true });
  await system.github.createRepo(
    "acme",
    "hidden",
    { "README.md": "# hidden\n" },
    {
      private: true,
      collaborator: false,
      appInstalled: false,
    },
  );
  system.openai.setScript(script("[private]"), "[private]");
  const response = await postCode(system, { repoUrl: "acme/vault", prompt: "[private] edit the readme" });
  const events = (await collectEvents(response)).events;
  return { system, events, probes };
}

/** Everything secret in play: the Worker's GitHub credentials, every minted token, the ticket. */
function secretsOf(system: System, probes: Probes[]): Record<string, string> {
  const found: Record<string, string> = { GITHUB_TOKEN: system.secrets.GITHUB_TOKEN ?? "" };
  for (const [i, t] of system.github.installationTokens.entries()) found[`installation token ${i}`] = t.token;
  for (const [i, p] of probes.entries()) found[`clone ticket ${i}`] = p.ticket;
  return found;
}

function stepOutputs(events: ParsedEvent[]): string[] {
  return events.filter((e) => e.type === "step").map((e) => String(e.data.output));
}

describe.each([
  { app: false, label: "a personal access token" },
  { app: true, label: "a GitHub App" },
])("a private repository with $label", ({ app }) => {
  let system: System;
  let events: ParsedEvent[];
  let probes: Probes[];

  beforeAll(async () => {
    ({ system, events, probes } = await privateJob({ app }));
  });
  afterAll(async () => {
    await system?.close();
  });

  it("clones through the Worker's proxy and opens the PR", () => {
    expect(events.at(-1)?.data, system.logs()).toMatchObject({ status: "succeeded" });
    expect(system.github.pulls.map((p) => `${p.owner}/${p.repo}`)).toEqual(["acme/vault"]);
    const job = events[0]?.data as { jobId: string };
    expect(probes).toHaveLength(1);
    expect(probes[0]?.body).toEqual({
      url: `${system.url}/git/${job.jobId}`,
      ref: "main",
      remoteUrl: `${system.github.webUrl}/acme/vault.git`,
      // A small repository (GitHub's `size`) is cloned whole, through the proxy all the same.
      full: true,
      contextPaths: [...CONTEXT_PATHS],
    });
    expect(probes[0]?.ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The clone reached GitHub only through the proxy, and never tried to push.
    const vault = system.github.gitCalls.filter((c) => c.path.startsWith("/acme/vault.git/"));
    expect(vault.length).toBeGreaterThan(0);
    expect(vault.every((c) => c.status === 200 && c.service === "git-upload-pack")).toBe(true);
    expect(system.github.violations).toEqual([]);
  });

  it("lets the proxy serve only upload-pack of this job's repository, with this job's live ticket", async () => {
    expect(probes[0]?.statuses).toEqual({
      noTicket: 401,
      wrongTicket: 401,
      otherJob: 401,
      receivePackRefs: 403,
      receivePackPost: 403,
      otherPath: 403,
      uploadPack: 200,
    });
    // Revoked when the clone step ended: the same ticket opens nothing now.
    const { jobId, ticket } = probes[0] as Probes;
    const after = await fetch(`${system.url}/git/${jobId}/info/refs?service=git-upload-pack`, {
      headers: { authorization: `Bearer ${ticket}` },
    });
    expect(after.status).toBe(401);
  });

  it("clones with the right credential: the PAT, or a read-only token narrowed to the repo", () => {
    const vault = system.github.gitCalls.filter((c) => c.path.startsWith("/acme/vault.git/"));
    if (!app) {
      expect(vault.every((c) => c.caller === "pat")).toBe(true);
      return;
    }
    const readOnly = system.github.installationTokens.filter((t) => t.permissions.contents === "read");
    expect(readOnly.length).toBeGreaterThan(0);
    for (const t of readOnly)
      expect(t).toMatchObject({ repositories: ["vault"], permissions: { contents: "read" } });
    const cloneTokens = new Set(readOnly.map((t) => t.token));
    expect(vault.every((c) => c.caller === "installation" && cloneTokens.has(c.token ?? ""))).toBe(true);
    // Publishing used its own (write) tokens, still narrowed to the repository.
    const writers = system.github.installationTokens.filter((t) => t.permissions.contents === "write");
    expect(writers.length).toBeGreaterThan(0);
    for (const t of writers) expect(t.repositories).toEqual(["vault"]);
  });

  it("leaves the sandbox nothing: no token or ticket in env, config, credential stores or /proc", () => {
    const outputs = stepOutputs(events);
    expect(outputs).toHaveLength(LOOKS.length + 1);
    const [env, config, configList, remotes, stores, proc, grep] = outputs;
    expect(env).toMatch(/PATH=/);
    expect(config).toContain(`url = ${system.github.webUrl}/acme/vault.git`);
    expect(configList).toContain("file:.git/config");
    expect(remotes).toContain(`origin\t${system.github.webUrl}/acme/vault.git (fetch)`);
    expect(stores).toMatch(/No such file or directory[\s\S]*looked/);
    expect(proc).toMatch(/== \/proc\/\d+\/environ/);
    expect(grep).toContain("grep-exit=1");
    for (const text of [config, configList, remotes, grep]) expect(text).not.toMatch(/extraheader|\/git\//i);
    const seenByModel = JSON.stringify(system.openai.requests);
    for (const [name, value] of Object.entries(secretsOf(system, probes))) {
      expect(value.length, name).toBeGreaterThan(10);
      for (const output of outputs) expect(output, name).not.toContain(value);
      expect(seenByModel, name).not.toContain(value);
      expect(JSON.stringify(events), name).not.toContain(value);
    }
  });

  it("sends the sandbox service no GitHub credential, only the ticket on the clone request", () => {
    const seen = system.tap?.seen ?? [];
    expect(seen.length).toBeGreaterThan(0);
    const github = Object.entries(secretsOf(system, probes)).filter(
      ([name]) => !name.startsWith("clone ticket"),
    );
    for (const request of seen) {
      const text = JSON.stringify(request);
      for (const [name, value] of github) expect(text, name).not.toContain(value);
      if (!request.path.endsWith("/clone")) expect(text).not.toContain(probes[0]?.ticket);
    }
  });

  it("ends a job on a private repository the credential cannot read with a clear error", async () => {
    const response = await postCode(system, { repoUrl: "acme/hidden", prompt: "[hidden] anything" });
    const failed = (await collectEvents(response)).events;
    const error = failed.find((e) => e.type === "error")?.data;
    expect(error).toMatchObject({ code: "repo_not_found" });
    expect(String(error?.message)).toMatch(
      /acme\/hidden was not found, or the GitHub credential has no access/,
    );
    expect(failed.at(-1)?.data).toMatchObject({ status: "failed" });
    expect(system.github.pulls.filter((p) => p.repo === "hidden")).toEqual([]);
  });
});
