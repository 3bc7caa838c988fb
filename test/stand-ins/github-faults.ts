// Fault injection for the GitHub stand-in: answer the next matching REST calls with a 5xx or with
// GitHub's secondary rate limit (403, `retry-after`, the documented message) or its exhausted
// primary limit (403, `x-ratelimit-remaining: 0` and the reset time) instead of serving
// them, so tests can show Octokit's retry and throttling plugins at work. Each fault is used once.
import type { ServerResponse } from "node:http";

export type GitHubFault =
  | { status: 500 | 502 | 503 }
  | { secondaryRateLimit: true; retryAfter: number }
  /** The primary (hourly) limit used up until `resetAt` (epoch seconds), as a 403 says it. */
  | { rateLimitResetAt: number };

export interface FaultMatch {
  method: string;
  /** Matched against the path below the API root, e.g. `/repos/acme/api/pulls`. */
  path: RegExp;
}

/** The queue of injected faults; `take` removes and returns the first that matches a call. */
export class GitHubFaults {
  private readonly queue: { match: FaultMatch; fault: GitHubFault }[] = [];

  /** Queues `fault` for the next `times` calls matching `match`. */
  add(match: FaultMatch, fault: GitHubFault, times = 1): void {
    for (let i = 0; i < times; i++) this.queue.push({ match, fault });
  }

  take(method: string, path: string): GitHubFault | undefined {
    const i = this.queue.findIndex((q) => q.match.method === method.toUpperCase() && q.match.path.test(path));
    return i < 0 ? undefined : this.queue.splice(i, 1)[0]?.fault;
  }
}

/** Answers with `fault` as api.github.com would; returns the status sent. */
export function sendFault(res: ServerResponse, fault: GitHubFault): number {
  const common = { "content-type": "application/json; charset=utf-8", "x-github-request-id": "FAULT:0000" };
  if ("secondaryRateLimit" in fault) {
    res.writeHead(403, {
      ...common,
      "retry-after": String(fault.retryAfter),
      "x-ratelimit-remaining": "4999",
    });
    res.end(
      JSON.stringify({
        message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
        documentation_url:
          "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
        status: "403",
      }),
    );
    return 403;
  }
  if ("rateLimitResetAt" in fault) {
    res.writeHead(403, {
      ...common,
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": "0",
      "x-ratelimit-used": "5000",
      "x-ratelimit-reset": String(fault.rateLimitResetAt),
      "x-ratelimit-resource": "core",
    });
    res.end(
      JSON.stringify({
        message: "API rate limit exceeded for user ID 1.",
        documentation_url:
          "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit",
        status: "403",
      }),
    );
    return 403;
  }
  res.writeHead(fault.status, common);
  res.end(JSON.stringify({ message: "Server Error", status: String(fault.status) }));
  return fault.status;
}
