/**
 * The few named errors the Worker throws. HTTP handlers turn `ApiError` into problem+json in one
 * `app.onError`; the Workflow turns `JobError` into the job's `error` event. `SandboxError` says
 * whether a retry can help, so durable steps retry only what may succeed next time.
 */

/** A client mistake or refusal: rendered as `application/problem+json` with this status. */
export class ApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 503,
    readonly title: string,
    readonly detail?: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
    this.name = "ApiError";
  }
}

/** A failure that ends a job with an `error` event; `code` is the event's machine-readable code. */
export class JobError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "JobError";
  }
}

/** The sandbox service failed or refused; `retryable` is the service's own verdict. */
export class SandboxError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "SandboxError";
  }
}

/** The agent reached a step or time budget before calling `finish`. */
export class LimitError extends JobError {
  constructor(message: string) {
    super("limit_exceeded", message);
    this.name = "LimitError";
  }
}

/** The deployment's configuration is invalid or lacks a key jobs need; the message names them. */
export class ConfigError extends JobError {
  constructor(message: string) {
    super("not_configured", message);
    this.name = "ConfigError";
  }
}

/** The model API failed; the message names the cause, `retryable` whether another attempt can help. */
export class ModelError extends Error {
  /** The job's error code when this ends it (and the model call span's `error.type`). */
  readonly code = "model_error";
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "ModelError";
  }
}

/** A Workflow step returned more than Workflows keep (1 MiB): a bug in what the step returns. */
export class StepResultTooLarge extends Error {
  constructor(
    readonly step: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`Step "${step}" returned ${bytes} bytes, over the ${limit} bytes a Workflow step result may hold.`);
    this.name = "StepResultTooLarge";
  }
}

/** The repository's environment could not be set up (a bad devcontainer.json, a failed or slow setup command). */
export class SetupError extends JobError {
  constructor(message: string) {
    super("setup_failed", message);
    this.name = "SetupError";
  }
}
