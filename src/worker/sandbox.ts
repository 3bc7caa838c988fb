/**
 * The `Sandbox` interface the agent loop owns (hands only: run a command, read and write a file),
 * and the HTTP client for the sandbox service that implements it. No secret is ever sent to the
 * service; only the service's own bearer token, which it does not pass to sandboxes, and for a
 * private repository the job's clone ticket (read-only, one repository, revoked after the clone).
 * Sandboxes are addressed by job id, and every reply is checked against the protocol's schemas.
 */

import type { z } from "zod";
import type {
  BlobRange,
  BlobsRequest,
  ChangeSet,
  CloneRequest,
  CloneResult,
  CreateSandboxRequest,
  EnvironmentBegun,
  EnvironmentReady,
  EnvironmentReadyRequest,
  ExecRequest,
  ExecResult,
  FileContent,
  SandboxDiff,
  SandboxEnvironment,
  SandboxInfo,
  SandboxReadiness,
} from "../protocol/sandbox";
import {
  blobRangeSchema,
  blobsSchema,
  changeSetSchema,
  cloneResultSchema,
  environmentBegunSchema,
  environmentReadySchema,
  execResultSchema,
  fileContentSchema,
  sandboxDiffSchema,
  sandboxInfoSchema,
  sandboxReadinessSchema,
} from "../protocol/sandbox-schemas";
import { inSpan } from "../telemetry/spans";
import { SandboxError } from "./errors";
import { isFetchFailure } from "./redact";
import { parseProblem, parseReply } from "./sandbox-replies";
import { tracedFetch } from "./telemetry/traced-fetch";
import { tracer } from "./telemetry/tracing";

export interface ExecOptions {
  timeoutMs: number;
  maxOutputBytes?: number;
  idempotencyKey?: string;
  stdin?: string;
  /** Variables on top of the sandbox's own (the repository's devcontainer `containerEnv`/`remoteEnv`). */
  env?: Record<string, string>;
  /** The directory the command runs in, relative to the repository root (devcontainer `workspaceFolder`). */
  cwd?: string;
}

export interface Sandbox {
  exec(argv: string[], options: ExecOptions): Promise<ExecResult>;
  readFile(path: string): Promise<Uint8Array>;
  writeFile(path: string, content: Uint8Array): Promise<void>;
}

/** The largest piece of a blob one sandbox service call moves (the service's own maximum). */
export const BLOB_PIECE_BYTES = 1024 * 1024;

/** Client for one sandbox service (`SANDBOX_SERVICE_URL`, `SANDBOX_SERVICE_TOKEN`). */
export class SandboxService {
  private readonly fetcher: typeof fetch;

  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    fetcher: typeof fetch = (input, init) => fetch(input, init),
  ) {
    // A client span per call, whose traceparent the service continues (telemetry/traced-fetch.ts).
    this.fetcher = tracedFetch("sandbox", fetcher, { propagate: true });
  }

  /** The service's proof that its backend works now (`GET /v1/ready`); a 503 SandboxError says why not. */
  ready(): Promise<SandboxReadiness> {
    return this.call("GET", "/v1/ready", sandboxReadinessSchema);
  }

  /**
   * The job's sandbox (made once; `id` is the job id), also after the service restarted. With
   * `environment` it starts from that repository's cached environment when there is one (`warm`).
   */
  create(jobId: string, environment?: SandboxEnvironment): Promise<SandboxInfo> {
    const request: CreateSandboxRequest = { jobId, ...(environment ? { environment } : {}) };
    return this.call("POST", "/v1/sandboxes", sandboxInfoSchema, request);
  }

  /** The setup phase starts: the sandbox's commands have network until `environmentReady`. */
  beginEnvironment(id: string): Promise<EnvironmentBegun> {
    return this.call(
      "POST",
      `/v1/sandboxes/${encodeURIComponent(id)}/environment/begin`,
      environmentBegunSchema,
    );
  }

  /** The setup phase ends for good (network shut); `save` stores the set-up environment in the cache. */
  environmentReady(id: string, save: boolean): Promise<EnvironmentReady> {
    const request: EnvironmentReadyRequest = { save };
    return this.call(
      "POST",
      `/v1/sandboxes/${encodeURIComponent(id)}/environment/ready`,
      environmentReadySchema,
      request,
    );
  }

  /**
   * `ticket` is the job's clone ticket for the Worker's git proxy (jobs/clone-ticket.ts): sent as
   * the `Clone-Ticket` header, which the service hands to that one git process and nothing else.
   */
  clone(id: string, request: CloneRequest, ticket?: string): Promise<CloneResult> {
    const headers: Record<string, string> = ticket === undefined ? {} : { "clone-ticket": ticket };
    return this.call(
      "POST",
      `/v1/sandboxes/${encodeURIComponent(id)}/clone`,
      cloneResultSchema,
      request,
      headers,
    );
  }

  /** The work tree against `baseSha` (the clone's `headSha`); the service's record of it when absent. */
  changes(id: string, baseSha?: string): Promise<ChangeSet> {
    const query = baseSha === undefined ? "" : `?base=${encodeURIComponent(baseSha)}`;
    return this.call("GET", `/v1/sandboxes/${encodeURIComponent(id)}/changes${query}`, changeSetSchema);
  }

  /** The same work tree as git's unified diff against `baseSha`, bounded by the service (`SandboxDiff`). */
  diff(id: string, baseSha: string): Promise<SandboxDiff> {
    const query = `?base=${encodeURIComponent(baseSha)}`;
    return this.call("GET", `/v1/sandboxes/${encodeURIComponent(id)}/diff${query}`, sandboxDiffSchema);
  }

  /** Bytes `[offset, offset + length)` of a blob of the sandbox's repository (`length` ≤ 1 MiB). */
  blobRange(id: string, sha: string, offset: number, length: number): Promise<BlobRange> {
    const query = `offset=${offset}&length=${length}`;
    return this.call(
      "GET",
      `/v1/sandboxes/${encodeURIComponent(id)}/blobs/${encodeURIComponent(sha)}?${query}`,
      blobRangeSchema,
    );
  }

  /** Small blobs read whole in one call (together at most `BLOB_PIECE_BYTES`), by sha. */
  async readBlobs(id: string, shas: string[]): Promise<Map<string, Uint8Array>> {
    const request: BlobsRequest = { shas };
    const { blobs } = await this.call(
      "POST",
      `/v1/sandboxes/${encodeURIComponent(id)}/blobs`,
      blobsSchema,
      request,
    );
    return new Map(blobs.map((b) => [b.sha, Buffer.from(b.contentBase64, "base64")]));
  }

  /** The whole blob `sha` of `size` bytes, read in pieces of at most `BLOB_PIECE_BYTES`. */
  async readBlob(id: string, sha: string, size: number): Promise<Uint8Array> {
    const bytes = new Uint8Array(size);
    let offset = 0;
    do {
      const piece = await this.blobRange(id, sha, offset, BLOB_PIECE_BYTES);
      const content = Buffer.from(piece.contentBase64, "base64");
      if (piece.size !== size || offset + content.length > size || (content.length === 0 && offset < size)) {
        throw new SandboxError(`blob ${sha} is ${piece.size} bytes, not the ${size} listed`, 409, false);
      }
      bytes.set(content, offset);
      offset += content.length;
    } while (offset < size);
    return bytes;
  }

  /** Idempotent: a sandbox that is already gone counts as terminated. */
  async terminate(id: string): Promise<void> {
    try {
      await this.call("DELETE", `/v1/sandboxes/${encodeURIComponent(id)}`, undefined);
    } catch (error) {
      if (error instanceof SandboxError && error.status === 404) return;
      throw error;
    }
  }

  /** The agent-facing view of one sandbox. */
  sandbox(id: string): Sandbox {
    const base = `/v1/sandboxes/${encodeURIComponent(id)}`;
    return {
      exec: (argv, o) => {
        const body: ExecRequest = { argv, timeoutMs: o.timeoutMs };
        if (o.maxOutputBytes !== undefined) body.maxOutputBytes = o.maxOutputBytes;
        if (o.idempotencyKey !== undefined) body.idempotencyKey = o.idempotencyKey;
        if (o.stdin !== undefined) body.stdinBase64 = Buffer.from(o.stdin).toString("base64");
        if (o.env !== undefined && Object.keys(o.env).length > 0) body.env = o.env;
        if (o.cwd !== undefined) body.cwd = o.cwd;
        // The executable's name only: the rest of argv can carry file content (a heredoc, say).
        const attributes = { "process.executable.name": (argv[0] ?? "").split("/").at(-1) ?? "" };
        return inSpan(tracer(), "sandbox.exec", attributes, async (span) => {
          const result = await this.call("POST", `${base}/exec`, execResultSchema, body);
          span.setAttributes({
            "process.exit.code": result.exitCode,
            "process.duration_ms": result.durationMs,
          });
          return result;
        });
      },
      readFile: async (path) => {
        const file = await this.call(
          "GET",
          `${base}/files?path=${encodeURIComponent(path)}`,
          fileContentSchema,
        );
        return Buffer.from(file.contentBase64, "base64");
      },
      writeFile: async (path, content) => {
        const file: FileContent = { path, contentBase64: Buffer.from(content).toString("base64") };
        await this.call("PUT", `${base}/files`, undefined, file);
      },
    };
  }

  /** One request; a 2xx reply is checked with `schema` (none: the reply must be empty, 204). */
  private async call<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    body?: unknown,
    extraHeaders?: Record<string, string>,
  ): Promise<z.infer<S>>;
  private async call(method: string, path: string, schema: undefined, body?: unknown): Promise<void>;
  private async call(
    method: string,
    path: string,
    schema: z.ZodType | undefined,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<unknown> {
    let response: Response;
    try {
      response = await this.fetcher(new URL(path, this.baseUrl), {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...extraHeaders,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new SandboxError(`sandbox service unreachable: ${String(error)}`, 0, true);
    }
    const route = `${method} ${path.split("?")[0]}`;
    const text = await response.text();
    if (!response.ok) {
      // wrangler dev's outbound proxy answers a connection it could not make with a 500 whose body
      // is the error, where deployed workerd throws: both are an unreachable service.
      if (response.status === 500 && isFetchFailure(text))
        throw new SandboxError(`sandbox service unreachable: ${text.trim().slice(0, 200)}`, 0, true);
      const problem = parseProblem(text, response.status);
      throw new SandboxError(
        `sandbox service ${route}: ${problem.title}${problem.detail ? ` — ${problem.detail}` : ""}`,
        response.status,
        problem.retryable,
      );
    }
    if (schema === undefined) return undefined;
    return parseReply(schema, text, route, response.status);
  }
}
