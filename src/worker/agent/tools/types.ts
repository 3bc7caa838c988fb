/**
 * What every model-facing tool is: a name, a description, a zod schema (the same one validates the
 * call and becomes the JSON Schema the model sees) and an `execute` that returns an observation.
 * A tool that changes a file returns the new bytes as a `write` instead of writing them itself,
 * so the write can be its own durable step, idempotent by content.
 */
import type { z } from "zod";
import type { Sandbox } from "../../sandbox";

export interface ToolContext {
  sandbox: Sandbox;
  /** Unique per tool call and stable across retries: the sandbox runs it at most once. */
  idempotencyKey: string;
  commandTimeoutMs: number;
  /**
   * The call belongs to a turn an earlier attempt was running when it died: it may already have
   * been applied. Commands are covered by their idempotency key; an edit checks the file instead.
   */
  resumed?: boolean;
  /** The publishing policy's per-file cap (PUBLISH_MAX_FILE_BYTES); a file over it is never published. */
  maxFileBytes?: number;
  /** The run continues a pull request: `finish` is validated by its follow-up variant (title optional). */
  followUp?: boolean;
}

/** A file the tool wants written: the whole new content, so writing it twice changes nothing. */
export interface FileWrite {
  path: string;
  contentBase64: string;
}

export interface Observation {
  output: string;
  exitCode?: number;
  write?: FileWrite;
}

export interface Tool<S extends z.ZodType> {
  name: string;
  description: string;
  schema: S;
  execute(input: z.infer<S>, ctx: ToolContext): Promise<Observation>;
}

/** Declares a tool with its input type inferred from its schema. */
export function tool<S extends z.ZodType>(t: Tool<S>): Tool<S> {
  return t;
}
