// The clone ticket through the real service, on both backends: a loopback smart-HTTP server (the
// real `git http-backend`) that serves only requests carrying `Authorization: Bearer <ticket>`,
// as the Worker's git proxy does. The `Clone-Ticket` header reaches every request of that one
// clone and nothing else: not the clone's config, not `origin` (the plain `remoteUrl`), not the
// environment of later commands.
import { randomBytes } from "node:crypto";
import { basename, dirname } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CloneResult, ExecResult, SandboxInfo } from "../../src/protocol/sandbox";
import { serveGitHttp } from "../stand-ins/git-http";
import { type LoopbackServer, listenLoopback, readBody } from "../stand-ins/loopback-server";
import { type BackendKind, type ContractHarness, startContractHarness } from "./contract-harness";
import { type BareRepo, makeBareRepo } from "./harness";

const TICKET = randomBytes(32).toString("base64url");

describe.each<BackendKind>(["local", "modal"])("clone with a ticket: %s backend", (kind) => {
  let h: ContractHarness;
  let repo: BareRepo;
  let server: LoopbackServer;
  const seen: { path: string; authorization: string | undefined }[] = [];

  beforeAll(async () => {
    repo = await makeBareRepo({ "a.txt": "a\n" });
    const bare = repo.url.replace(/^file:\/\//, "");
    server = await listenLoopback(async (req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      seen.push({ path: url.pathname, authorization: req.headers.authorization });
      const body = await readBody(req);
      if (req.headers.authorization !== `Bearer ${TICKET}`) {
        res.writeHead(401, { "content-type": "text/plain" });
        res.end("A valid clone ticket is required.\n");
        return;
      }
      const rest = url.pathname.replace(/^\/git\/job/, "");
      await serveGitHttp(req, res, {
        projectRoot: dirname(bare),
        home: repo.dir,
        pathInfo: `/${basename(bare)}${rest}`,
        query: url.search.slice(1),
        body,
      });
    });
    h = await startContractHarness(kind, [repo.dir]);
  });
  afterAll(async () => {
    await h?.close();
    await server?.close();
    await repo?.cleanup();
  });

  const clone = (sandbox: SandboxInfo, ticket?: string): Promise<Response> =>
    fetch(`${h.url}/v1/sandboxes/${sandbox.id}/clone`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${h.token}`,
        "content-type": "application/json",
        ...(ticket === undefined ? {} : { "clone-ticket": ticket }),
      },
      body: JSON.stringify({
        url: `${server.origin}/git/job`,
        remoteUrl: "https://github.com/acme/vault.git",
      }),
    });

  it("sends the ticket on every request of the clone, and leaves it nowhere", async () => {
    const sandbox = await h.sandbox();
    const reply = await clone(sandbox, TICKET);
    expect(reply.status, await reply.clone().text()).toBe(200);
    expect(((await reply.json()) as CloneResult).headSha).toBe(repo.headSha);
    const requests = seen.splice(0);
    expect(requests.length).toBeGreaterThan(1);
    expect(requests.every((r) => r.authorization === `Bearer ${TICKET}`)).toBe(true);
    const run = async (command: string) => {
      const answer = await h.call<ExecResult>(
        "POST",
        `/v1/sandboxes/${encodeURIComponent(sandbox.id)}/exec`,
        {
          argv: ["sh", "-c", command],
        },
      );
      return answer.body.output;
    };
    expect(await run("git remote get-url origin")).toBe("https://github.com/acme/vault.git\n");
    const everywhere = await run(
      "env; cat .git/config; git config -l --show-origin; cat /proc/[0-9]*/environ /proc/[0-9]*/cmdline | tr '\\0' '\\n'; grep -r -a -l -i 'extra[h]eader' .git 2>&1; echo grep=$?",
    );
    expect(everywhere).toContain("grep=1");
    expect(everywhere).not.toContain(TICKET);
    expect(everywhere.toLowerCase()).not.toContain("extraheader");
    if (kind === "modal") {
      // The clone host was let through the allowlist for the clone only, then taken off again.
      const modal = [...(h.modal?.sandboxes.values() ?? [])].find((s) => s.tags.jobId === sandbox.jobId);
      expect(JSON.stringify(modal?.network)).not.toContain("127.0.0.1");
      expect(h.modal?.calls.filter((c) => c.endsWith("TaskSetNetworkAccess")).length).toBeGreaterThanOrEqual(
        2,
      );
    }
  });

  it("fails the clone without the ticket, and refuses a malformed one without echoing it", async () => {
    const without = await clone(await h.sandbox());
    expect(without.status).toBe(422);
    seen.splice(0);
    const bad = "bad ticket\r\nX-Injected: 1";
    const malformed = await clone(await h.sandbox(), bad.replace(/[\r\n]/g, " "));
    expect(malformed.status).toBe(400);
    const text = await malformed.text();
    expect(text).toContain("Clone-Ticket");
    expect(text).not.toContain("bad ticket");
    expect(seen).toEqual([]);
  });

  it("sends the ticket the same way when a warm sandbox's clone moves the cached workspace", async () => {
    const environment = { repo: "acme/vault", cacheKey: `ticket-${kind}` };
    const create = async (): Promise<SandboxInfo> =>
      (
        await h.call<SandboxInfo>("POST", "/v1/sandboxes", {
          jobId: `t-${randomBytes(6).toString("hex")}`,
          environment,
        })
      ).body;
    const cold = await create();
    expect((await clone(cold, TICKET)).status).toBe(200);
    await h.call("POST", `/v1/sandboxes/${cold.id}/environment/begin`);
    const saved = await h.call("POST", `/v1/sandboxes/${cold.id}/environment/ready`, { save: true });
    expect(saved.body).toMatchObject({ saved: true });
    const warm = await create();
    expect(warm.warm).toBe(true);
    expect((await clone(warm)).status).toBe(422);
    seen.splice(0);
    const reply = await clone(warm, TICKET);
    expect(reply.status, await reply.clone().text()).toBe(200);
    expect(((await reply.json()) as CloneResult).headSha).toBe(repo.headSha);
    const requests = seen.splice(0);
    expect(requests.length).toBeGreaterThan(1);
    expect(requests.every((r) => r.authorization === `Bearer ${TICKET}`)).toBe(true);
    const config = await h.call<ExecResult>("POST", `/v1/sandboxes/${warm.id}/exec`, {
      argv: ["sh", "-c", "git remote get-url origin; cat .git/config"],
    });
    expect(config.body.output).toContain("https://github.com/acme/vault.git");
    expect(config.body.output).not.toContain(TICKET);
  });
});
