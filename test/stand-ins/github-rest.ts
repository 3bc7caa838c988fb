// The GitHub stand-in's REST front: token auth (anonymous reads of public repos too), routing to the implemented operations, GitHub's
// error bodies and headers, and the OpenAPI check of every request and response body.
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type Caller, canRead, forbiddenMessage, holds } from "./github-access";
import type { AppAuth } from "./github-app";
import { checkRequestBody, checkResponseBody, documentedTemplates, findOperation } from "./github-openapi";
import { pullRoutes } from "./github-pulls";
import { pullUpdateRoutes } from "./github-pulls-update";
import { GitHubError, matchTemplate, type Route, type RouteResult } from "./github-route";
import { compareRoutes } from "./github-routes-compare";
import { forkRoutes } from "./github-routes-forks";
import { gitDataRoutes } from "./github-routes-git";
import { refRoutes } from "./github-routes-refs";
import { repoRoutes } from "./github-routes-repo";
import type { GitHubWorld } from "./github-state";
import { sendJson } from "./loopback-server";

/** Every REST route the stand-in serves (github-openapi.test.ts checks each is one GitHub documents). */
export const ROUTES: Route[] = [
  ...repoRoutes,
  ...refRoutes,
  ...gitDataRoutes,
  ...pullRoutes,
  ...pullUpdateRoutes,
  ...forkRoutes,
  ...compareRoutes,
];

export interface CallRecord {
  method: string;
  /** Path below the API root, e.g. `/repos/acme/api/git/refs`. */
  path: string;
  operationId: string | undefined;
  status: number;
}

export interface Violation {
  kind: "request" | "response" | "unimplemented" | "crash";
  method: string;
  path: string;
  operationId: string | undefined;
  status: number;
  errors: string[];
}

export interface RestRecorder {
  calls: CallRecord[];
  violations: Violation[];
}

/** Answers one REST request (`path` is below the API root, query string excluded). */
export async function serveRest(
  world: GitHubWorld,
  token: string,
  recorder: RestRecorder,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
  rawBody: Buffer,
  app?: AppAuth,
): Promise<void> {
  const method = (req.method ?? "GET").toUpperCase();
  const route = ROUTES.find((r) => r.method === method && matchTemplate(r.template, path));
  const template = route?.template ?? documentedTemplate(method, path);
  const operation = template ? findOperation(method, template) : undefined;
  const docs = operation?.externalDocs?.url ?? "https://docs.github.com/rest";
  const violate = (kind: Violation["kind"], status: number, errors: string[]) => {
    const violation = { kind, method, path, operationId: operation?.operationId, status, errors };
    recorder.violations.push(violation);
    console.warn("GitHub stand-in violation", JSON.stringify(violation));
  };

  let result: RouteResult;
  try {
    result = await answer();
  } catch (error) {
    if (!(error instanceof GitHubError))
      violate("crash", 500, [String(error instanceof Error ? error.stack : error)]);
    const e = error instanceof GitHubError ? error : new GitHubError(500, "Server Error");
    const body = {
      message: e.message,
      ...(e.errors ? { errors: e.errors } : {}),
      documentation_url: docs,
      status: String(e.status),
    };
    result = { status: e.status, body };
  }
  if (template && operation) {
    const problems = checkResponseBody(method, template, result.status, result.body);
    if (problems.length > 0) violate("response", result.status, problems);
  }
  recorder.calls.push({ method, path, operationId: operation?.operationId, status: result.status });
  const headers = { ...githubHeaders(recorder.calls.length), ...result.headers };
  if (result.body === undefined) {
    res.writeHead(result.status, headers);
    res.end();
  } else sendJson(res, result.status, result.body, headers);

  async function answer(): Promise<RouteResult> {
    const auth = /^(?:token|bearer)\s+(.+)$/i.exec(req.headers.authorization ?? "")?.[1];
    const principal: Caller | undefined =
      auth === undefined ? { kind: "anonymous" } : auth === token ? { kind: "pat" } : app?.principal(auth);
    if (!principal) throw new GitHubError(401, "Bad credentials");
    let body: unknown;
    if (rawBody.length > 0) {
      try {
        body = JSON.parse(rawBody.toString("utf8"));
      } catch {
        throw new GitHubError(400, "Problems parsing JSON");
      }
    }
    if (method !== "GET" && template) {
      const problems = checkRequestBody(method, template, body ?? {});
      if (problems.length > 0) {
        violate("request", 422, problems);
        throw new GitHubError(422, `Invalid request.\n\n${problems.join("\n")}`);
      }
    }
    const appRoute = APP_ROUTES.find((r) => r.method === method && matchTemplate(r.template, path));
    if (appRoute || principal.kind === "app") {
      // App endpoints take the App's JWT, and a JWT is good for nothing else.
      if (!app || !appRoute || principal.kind !== "app") {
        throw new GitHubError(401, "A JSON web token could not be decoded");
      }
      const params = matchTemplate(appRoute.template, path) ?? {};
      if (appRoute.template.startsWith("/app/")) return app.createToken(Number(params.installation_id), body);
      const target = world.repo(params.owner ?? "", params.repo ?? "");
      if (!target || target.appInstalled === false) throw new GitHubError(404, "Not Found");
      return app.repoInstallation(world, params.owner ?? "");
    }
    if (!route || !template) {
      if (operation)
        violate("unimplemented", 404, [`${operation.operationId} is not implemented by the stand-in`]);
      throw new GitHubError(404, "Not Found");
    }
    const params = matchTemplate(template, path) ?? {};
    const repo = world.repo(params.owner ?? "", params.repo ?? "");
    // A repository the caller may not read answers exactly like one that does not exist.
    if (!repo || !canRead(principal, repo)) throw new GitHubError(404, "Not Found");
    if (method !== "GET") {
      if (principal.kind === "anonymous") throw new GitHubError(401, "Requires authentication");
      // Git data writes need contents: write (push access); pull requests need pull_requests.
      const need = template.includes("/pulls") ? "pull_requests" : "contents";
      const exempt = need === "contents" && !template.includes("/git/") && principal.kind === "pat";
      if (!exempt && !holds(principal, repo, need)) throw new GitHubError(403, forbiddenMessage(principal));
    }
    return route.handle({ world, repo, params, query, body });
  }
}

const APP_ROUTES = [
  { method: "GET", template: "/repos/{owner}/{repo}/installation" },
  { method: "POST", template: "/app/installations/{installation_id}/access_tokens" },
];

/** The documented template `path` falls under (most literal segments wins), for recording. */
function documentedTemplate(method: string, path: string): string | undefined {
  let best: { template: string; literal: number } | undefined;
  for (const template of documentedTemplates()) {
    if (!findOperation(method, template) || !matchTemplate(template, path)) continue;
    const literal = template.split("/").filter((s) => s && !s.startsWith("{")).length;
    if (!best || literal > best.literal) best = { template, literal };
  }
  return best?.template;
}

/** The headers api.github.com sends with every answer; the rate limit counts this stand-in's calls. */
function githubHeaders(callCount: number): Record<string, string> {
  const remaining = 5000 - (callCount % 5000);
  const id = () => randomBytes(4).toString("hex").toUpperCase();
  return {
    "x-github-request-id": `${id()}:${id()}:${id()}:${id()}:${id()}`,
    "x-github-api-version-selected": "2022-11-28",
    "x-github-media-type": "github.v3; format=json",
    "x-ratelimit-limit": "5000",
    "x-ratelimit-remaining": String(remaining),
    "x-ratelimit-used": String(5000 - remaining),
    "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600),
    "x-ratelimit-resource": "core",
    "x-oauth-scopes": "repo",
    "x-accepted-oauth-scopes": "repo",
    "cache-control": "private, max-age=60, s-maxage=60",
    vary: "Accept, Authorization, Cookie, X-GitHub-OTP",
  };
}
