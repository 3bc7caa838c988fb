// A warm Modal sandbox moved to the job's branch through a ticketed git proxy (a loopback
// smart-HTTP server that, like the Worker's, serves only requests with `Authorization: Bearer
// <ticket>`): the ticket reaches every request of the move and nothing after it, the proxy's host
// is let through the allowlist for the move only, and what setup installed (ignored) stays.
import { randomBytes } from "node:crypto";
import { basename, dirname } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CloneResult } from "../../src/protocol/sandbox";
import { serveGitHttp } from "../stand-ins/git-http";
import { listenLoopback, readBody } from "../stand-ins/loopback-server";
import { ALLOWED, environment, jobId, type ModalEnv, newKey, startModalEnv } from "./modal-env-harness";

let env: ModalEnv;
beforeAll(async () => {
  env = await startModalEnv();
});
afterAll(async () => {
  await env?.close();
});

describe("warm Modal sandbox through the git proxy", () => {
  it("moves a warm sandbox through a ticketed git proxy: the ticket on every request, then nowhere; the proxy's host let through for the move only", async () => {
    const ticket = randomBytes(24).toString("base64url");
    const bare = env.repo.url.replace(/^file:\/\//, "");
    const seen: (string | undefined)[] = [];
    const proxy = await listenLoopback(async (req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      seen.push(req.headers.authorization);
      const body = await readBody(req);
      if (req.headers.authorization !== `Bearer ${ticket}`) {
        res.writeHead(401, { "content-type": "text/plain" });
        res.end("A valid clone ticket is required.\n");
        return;
      }
      await serveGitHttp(req, res, {
        projectRoot: dirname(bare),
        home: env.repo.dir,
        pathInfo: `/${basename(bare)}${url.pathname.replace(/^\/git\/job/, "")}`,
        query: url.search.slice(1),
        body,
      });
    });
    const s = await env.service("proxy");
    const key = newKey();
    const cold = await s.create(jobId("cold"), environment(key));
    await s.clone(cold.id);
    await s.begin(cold.id);
    await s.sh(cold.id, "mkdir -p node_modules && echo kept > node_modules/k");
    await s.ready(cold.id, true);
    const head = await env.pushCommit(`c-${randomBytes(3).toString("hex")}.txt`);
    const warm = await s.create(jobId("warm"), environment(key));
    expect(warm.warm).toBe(true);
    const before = env.modal.calls.filter((c) => c.endsWith("TaskSetNetworkAccess")).length;
    const reply = await fetch(`${s.url}/v1/sandboxes/${warm.id}/clone`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${s.token}`,
        "content-type": "application/json",
        "clone-ticket": ticket,
      },
      body: JSON.stringify({
        url: `${proxy.origin}/git/job`,
        remoteUrl: "https://github.com/acme/widgets.git",
      }),
    });
    expect(reply.status, await reply.clone().text()).toBe(200);
    expect(((await reply.json()) as CloneResult).headSha).toBe(head);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.every((a) => a === `Bearer ${ticket}`)).toBe(true);
    // Widened for the move, then back to the allowlist.
    expect(env.modal.calls.filter((c) => c.endsWith("TaskSetNetworkAccess")).length).toBe(before + 2);
    expect(env.atModal(warm.jobId)?.network).toMatchObject({ allowedDomains: ALLOWED, allowedCidrs: [] });
    const look = await s.sh(
      warm.id,
      "cat node_modules/k; git remote get-url origin; env; cat .git/config; ls -a /tmp; grep -r -a -l -i 'extra[h]eader' .git; echo grep=$?",
    );
    expect(look.output).toMatch(/^kept\nhttps:\/\/github\.com\/acme\/widgets\.git\n/);
    expect(look.output).toContain("grep=1");
    expect(look.output).not.toContain(ticket);
    expect(look.output).not.toContain(".warm-clone-");
    await proxy.close();
  });

  it("used only calls the Modal stand-in implements", () => {
    expect(env.modal.unimplemented).toEqual([]);
  });
});
