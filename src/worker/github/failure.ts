/**
 * Octokit failures in a sentence naming their cause: GitHub unreachable, credentials refused (401),
 * nothing there or no access (404), rate limited (with when it resets), a GitHub-side fault (5xx).
 * `retryable` says whether retrying the step can help: Octokit's retry plugin has already retried
 * faults and its throttling plugin has waited out every rate limit short enough to wait for.
 */
import { isFetchFailure, originOf, redact } from "../redact";

export interface Failure {
  message: string;
  retryable: boolean;
}

interface OctokitError {
  status: number;
  message: string;
  request?: { method?: string; url?: string };
  response?: { headers?: Record<string, string | undefined>; data?: unknown };
}

function asOctokitError(error: unknown): OctokitError | null {
  if (!(error instanceof Error) || error.name !== "HttpError") return null;
  return "status" in error && typeof error.status === "number" ? (error as unknown as OctokitError) : null;
}

/** The Octokit error `error` described, or null when it is not one. */
export function describeGitHubFailure(error: unknown, now = Date.now()): Failure | null {
  const e = asOctokitError(error);
  if (!e) return null;
  const url = e.request?.url ?? "";
  const call = `${e.request?.method ?? "GET"} ${pathOf(url)}`;
  const said = redact(bodyMessage(e) ?? e.message).slice(0, 200);
  const headers = e.response?.headers ?? {};
  // Octokit reports a fetch that got no answer as a 500 without a response; under wrangler dev the
  // outbound proxy answers for it, with a 5xx and the fetch error as text. GitHub itself always
  // sends x-github-request-id. Not retried: the retry plugin already tried it again three times.
  const noAnswer = !e.response || e.status === 0;
  if (noAnswer || (e.status >= 500 && !headers["x-github-request-id"] && isFetchFailure(said))) {
    return {
      message: `GitHub is unreachable at ${originOf(url)} (connection refused, DNS failure or no network; check GITHUB_API_URL): ${noAnswer ? said : `${e.status} ${said}`}`,
      retryable: false,
    };
  }
  const limited = rateLimit(e.status, headers, said, now);
  if (limited)
    return { message: `GitHub rate limit reached (${e.status}) on ${call}: ${limited}`, retryable: false };
  const answered = `GitHub answered ${e.status} ${said} to ${call}`;
  if (e.status === 401) {
    return {
      message: `${answered}: the credentials were refused; check GITHUB_TOKEN (or GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY).`,
      retryable: false,
    };
  }
  if (e.status === 404) {
    return {
      message: `${answered}: it does not exist, or the credentials cannot see it (a private repository needs a token or App installation with access to it).`,
      retryable: false,
    };
  }
  if (e.status === 403) {
    return { message: `${answered}: the credentials lack the permission this needs.`, retryable: false };
  }
  if (e.status >= 500) return { message: `${answered} (a fault on GitHub's side).`, retryable: true };
  return { message: `${answered}.`, retryable: e.status === 408 };
}

/** When a 403/429 is a rate limit: when it resets, if GitHub said; else null. */
function rateLimit(
  status: number,
  headers: Record<string, string | undefined>,
  said: string,
  now: number,
): string | null {
  if (status !== 403 && status !== 429) return null;
  const reset = Number(headers["x-ratelimit-reset"]);
  if (headers["x-ratelimit-remaining"] === "0" && Number.isFinite(reset) && reset > 0) {
    const inSeconds = Math.max(0, Math.ceil(reset - now / 1000));
    return `the hourly quota is used up; it resets at ${new Date(reset * 1000).toISOString()} (in ${inSeconds} s).`;
  }
  const retryAfter = Number(headers["retry-after"]);
  if (headers["retry-after"] !== undefined && Number.isFinite(retryAfter)) {
    return `${said.replace(/\.$/, "")}; retry after ${retryAfter} s.`;
  }
  if (status === 429 || /rate limit/i.test(said)) return `${said.replace(/\.$/, "")}.`;
  return null;
}

/** GitHub's own `message` from the error body, without the documentation link Octokit appends. */
function bodyMessage(e: OctokitError): string | null {
  const data = e.response?.data;
  if (typeof data === "object" && data !== null && "message" in data && typeof data.message === "string") {
    return data.message;
  }
  return null;
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    // Octokit always sends absolute URLs; anything else is not worth echoing.
    return "(request)";
  }
}
