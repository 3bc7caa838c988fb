/**
 * Every default and hard limit of the sandbox service in one place, so the HTTP validation, the
 * backends and the docs agree. Requests above a hard maximum are refused (400), never clamped.
 */

/** Exec wall-clock limit when the request names none. */
export const DEFAULT_TIMEOUT_MS = 120_000;
/** Largest `timeoutMs` an exec may ask for: 30 minutes. */
export const MAX_TIMEOUT_MS = 30 * 60_000;
/** Output kept per exec when the request names no `maxOutputBytes`: 1 MiB. */
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
/** Largest `maxOutputBytes` an exec may ask for: 8 MiB. */
export const MAX_OUTPUT_BYTES = 8 * 1024 * 1024;
/** Largest file `readFile` returns and `writeFile` accepts: 16 MiB. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;
/** Largest request body (a base64 file or stdin plus JSON): 24 MiB. */
export const MAX_BODY_BYTES = 24 * 1024 * 1024;
/** Largest output of one of the service's own git helpers (a change set's file list, say): 64 MiB. */
export const MAX_HELPER_OUTPUT_BYTES = 64 * 1024 * 1024;
/** Largest `length` of one blob range read (`GET …/blobs/:sha`), and its default: 1 MiB. */
export const MAX_BLOB_RANGE_BYTES = 1024 * 1024;
/** Wall-clock limit of a clone, which is the only step with network. */
export const CLONE_TIMEOUT_MS = 10 * 60_000;
/** Wall-clock limit of the service's own git and file helpers run inside a sandbox. */
export const HELPER_TIMEOUT_MS = 120_000;
/** Idempotent exec results remembered per sandbox (oldest finished ones are forgotten first). */
export const MAX_REMEMBERED_EXECS = 256;
/** Sandboxes one service process holds at once (`MAX_SANDBOXES`); one more is a retryable 429. */
export const DEFAULT_MAX_SANDBOXES = 16;
/** `Retry-After` of that 429: sandboxes free up as jobs finish, within minutes. */
export const CAPACITY_RETRY_AFTER_SECONDS = 30;
/**
 * Age past which the service terminates a sandbox on its own (`SANDBOX_MAX_LIFETIME_SECONDS`):
 * the longest job ceiling (60 minutes) plus two hours, so only sandboxes of ended jobs qualify.
 */
export const DEFAULT_MAX_LIFETIME_SECONDS = 3 * 60 * 60;
/** How often the service looks for sandboxes past that age (and once at start). */
export const REAP_INTERVAL_MS = 15 * 60_000;
