// The shape of one GitHub stand-in REST route, and how a request path is matched against the
// OpenAPI path templates the routes declare (`{ref}`, `{branch}` and `{basehead}` may span slashes, as on GitHub).
import type { GitHubWorld, RepoRecord } from "./github-state";

export interface RouteContext {
  world: GitHubWorld;
  repo: RepoRecord;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body (undefined for requests without one). */
  body: unknown;
}

export interface RouteResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Route {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** The path template exactly as in GitHub's OpenAPI description; every route is under a repo. */
  template: `/repos/{owner}/{repo}${string}`;
  handle(ctx: RouteContext): Promise<RouteResult>;
}

/** A GitHub error answer: `{message, documentation_url, status}` (+ `errors` for 422). */
export class GitHubError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: { resource?: string; field?: string; code: string; message?: string }[],
  ) {
    super(message);
  }
}

/** 422 with GitHub's "Validation Failed" shape. */
export function validationFailed(
  resource: string,
  field: string,
  code = "invalid",
  message?: string,
): GitHubError {
  return new GitHubError(422, "Validation Failed", [
    { resource, field, code, ...(message ? { message } : {}) },
  ]);
}

const GREEDY = new Set(["ref", "branch", "basehead"]);

/** Matches `path` (raw, percent-encoded) against `template`; resolves to decoded params or undefined. */
export function matchTemplate(template: string, path: string): Record<string, string> | undefined {
  const want = template.split("/");
  const got = path.split("/");
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const segment = want[i] ?? "";
    const param = /^\{(\w+)\}$/.exec(segment)?.[1];
    const isLast = i === want.length - 1;
    if (param && isLast && GREEDY.has(param)) {
      const rest = got.slice(i).join("/");
      if (rest === "") return undefined;
      params[param] = safeDecode(rest);
      return params;
    }
    const actual = got[i];
    if (actual === undefined) return undefined;
    if (!param) {
      if (actual !== segment) return undefined;
    } else if (actual === "") return undefined;
    else params[param] = safeDecode(actual);
  }
  return got.length === want.length ? params : undefined;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // Malformed escapes are kept literally; the route then finds nothing.
  }
}

/** Narrows a JSON body to an object with string keys. */
export function asObject(body: unknown): Record<string, unknown> {
  return typeof body === "object" && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : {};
}
