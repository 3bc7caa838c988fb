/**
 * `/git/:jobId/…`: a read-only git smart-HTTP proxy, so a sandbox can clone a private repository
 * while the GitHub credential stays in the Worker. The sandbox's one clone presents the job's clone
 * ticket (`Authorization: Bearer <ticket>`, see jobs/clone-ticket.ts); the proxy checks it with the
 * job's JobRoom, then forwards to `${GITHUB_URL}/<owner>/<repo>.git/…` of that job's repository
 * only, adding the credential itself (the PAT, or an App token that may only read that one repo).
 * Only upload-pack (clone and fetch) is served: a push, or anything else, is refused.
 */
import { Hono } from "hono";
import { deps } from "../deps";
import { cloneCredential } from "../github/client";

const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** What git sends that GitHub needs to answer it: protocol v2, the pack request's type and encoding. */
const REQUEST_HEADERS = ["git-protocol", "content-type", "accept", "content-encoding", "user-agent"];
const RESPONSE_HEADERS = ["content-type", "cache-control", "expires", "pragma"];

function text(status: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(`${message}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

const refused = () =>
  text(403, "This proxy is read-only: it serves git-upload-pack (clone and fetch) and nothing else.");
const unauthorized = () =>
  text(401, "A valid clone ticket is required.", { "www-authenticate": 'Bearer realm="git-proxy"' });
const notFound = (repo: string) =>
  text(404, `Repository ${repo} not found, or the GitHub credential has no access to it.`);

/** Checks the ticket, then relays one smart-HTTP request to the job's repository on GitHub. */
async function relay(env: Env, request: Request, jobId: string, path: string): Promise<Response> {
  if (!JOB_ID.test(jobId)) return unauthorized();
  const ticket = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get("authorization") ?? "")?.[1];
  if (!ticket) return unauthorized();
  const room = env.JOB_ROOM.get(env.JOB_ROOM.idFromName(jobId));
  const repo = await room.redeemCloneTicket(ticket);
  if (!repo) return unauthorized();
  const [owner = "", name = ""] = repo.split("/");
  let credential: string | undefined;
  try {
    credential = await cloneCredential(deps(env).github, { owner, repo: name });
  } catch (error) {
    // The App is not installed on the repository (404), or GitHub refused the App: no access.
    const status = (error as { status?: unknown }).status;
    if (typeof status === "number" && status >= 400 && status < 500) return notFound(repo);
    throw error;
  }
  const headers = new Headers();
  for (const name of REQUEST_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  if (credential) headers.set("authorization", `Basic ${btoa(`x-access-token:${credential}`)}`);
  const search = new URL(request.url).search;
  const upstream = await fetch(
    `${env.GITHUB_URL.replace(/\/+$/, "")}/${owner}/${name}.git/${path}${search}`,
    {
      method: request.method,
      headers,
      body: request.method === "POST" ? request.body : null,
    },
  );
  // GitHub answers 401 or 404 alike for a private repository the credential may not read.
  if (upstream.status === 401 || upstream.status === 403 || upstream.status === 404) {
    await upstream.body?.cancel();
    return notFound(repo);
  }
  const answer = new Headers();
  for (const name of RESPONSE_HEADERS) {
    const value = upstream.headers.get(name);
    if (value !== null) answer.set(name, value);
  }
  return new Response(upstream.body, { status: upstream.status, headers: answer });
}

export const gitProxy = new Hono<{ Bindings: Env }>()
  .get("/:jobId/info/refs", (c) => {
    if (c.req.query("service") !== "git-upload-pack") return refused();
    return relay(c.env, c.req.raw, c.req.param("jobId"), "info/refs");
  })
  .post("/:jobId/git-upload-pack", (c) => relay(c.env, c.req.raw, c.req.param("jobId"), "git-upload-pack"))
  .all("*", () => refused());
