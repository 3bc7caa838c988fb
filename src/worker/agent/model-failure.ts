/**
 * openai SDK failures in a sentence naming their cause: the model API unreachable, the key refused
 * (401), no such model or endpoint (404), rate limited or out of quota (429, with when it resets),
 * a server fault (5xx). `retryable` says whether a new attempt at the step can help; the SDK has
 * already retried connection faults, 429 and 5xx a few times with backoff.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import type { Failure } from "../github/failure";
import { isFetchFailure, originOf, redact } from "../redact";

/** The openai error `error` described, or null when it is not one. */
export function describeModelFailure(error: unknown, baseUrl: string, model: string): Failure | null {
  if (!(error instanceof APIError) || error instanceof APIUserAbortError) return null;
  const at = originOf(baseUrl);
  if (error instanceof APIConnectionTimeoutError) {
    return { message: `The model API at ${at} did not answer in time.`, retryable: true };
  }
  // Under wrangler dev a refused connection comes back as a 500 with the fetch error as its text.
  const proxied = error.status !== undefined && error.status >= 500 && error.error === undefined;
  const detail = proxied ? error.message.replace(/^\d+ /, "") : "";
  if (error instanceof APIConnectionError || (proxied && isFetchFailure(detail))) {
    const why = error.cause instanceof Error ? error.cause.message : detail;
    const cause = why ? `: ${redact(why).slice(0, 200)}` : "";
    return {
      // Retryable: a connection cut in the middle of a long streamed reply looks the same.
      message: `The model API is unreachable at ${at} (connection refused, DNS failure or no network; check OPENAI_BASE_URL)${cause}.`,
      retryable: true,
    };
  }
  const status = error.status ?? 0;
  const said = redact(bodyMessage(error) ?? error.message).slice(0, 200);
  const answered = `The model API at ${at} answered ${status}${error.code ? ` ${error.code}` : ""}: ${said}`;
  if (status === 401) {
    return { message: `${answered} (the key was refused; check OPENAI_API_KEY).`, retryable: false };
  }
  if (status === 404) {
    return {
      message: `${answered} (no model "${model}" or no such endpoint there; check OPENAI_MODEL and OPENAI_BASE_URL).`,
      retryable: false,
    };
  }
  if (status === 429) {
    if (error.code === "insufficient_quota") {
      return { message: `${answered} (the account is out of quota).`, retryable: false };
    }
    return { message: `${answered} (rate limited${resetOf(error.headers)}).`, retryable: true };
  }
  if (status >= 500) return { message: `${answered} (a fault on the server's side).`, retryable: true };
  return { message: `${answered}.`, retryable: status === 408 || status === 409 };
}

/** ", resets in …" from the rate-limit headers OpenAI sends, or "". */
function resetOf(headers: Headers | undefined): string {
  const after = headers?.get("retry-after");
  if (after && Number.isFinite(Number(after))) return `, retry after ${Number(after)} s`;
  const reset = headers?.get("x-ratelimit-reset-requests") ?? headers?.get("x-ratelimit-reset-tokens");
  return reset && /^[\dhms.]+$/.test(reset) ? `, resets in ${reset}` : "";
}

function bodyMessage(error: APIError): string | null {
  const body = error.error;
  if (typeof body === "object" && body !== null && "message" in body && typeof body.message === "string") {
    return body.message;
  }
  return null;
}
