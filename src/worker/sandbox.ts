/**
 * The `Sandbox` interface the agent loop owns (hands only: run a command, read and write a file),
 * and the HTTP client for the sandbox service that implements it. No secret is ever sent to the
 * service; only the service's own bearer token, which it does not pass to sandboxes, and for a
 * private repository the job's clone ticket (read-only, one repository, revoked after the clone).
 */
import type {
  BlobRange,
  BlobsRequest,
  ChangeSet,
  CloneRequest,
  CloneResult,
  ExecRequest,
  ExecResult,
  FileContent,
  SandboxInfo,
  SandboxProblem,
} from "../protocol/sandbox";
import { SandboxError } from "./errors";

export interface ExecOptions {
  timeoutMs: number;
  maxOutputBytes?: number;
  idempotencyKey?: string;
  stdin?: string;
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
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly fetcher: typeof fetch = (input, init) => fetch(input, init),
  ) {}

  create(jobId: string): Promise<SandboxInfo> {
    return this.call("POST", "/v1/sandboxes", { jobId });
  }

  /**
   * `ticket` is the job's clone ticket for the Worker's git proxy (jobs/clone-ticket.ts): sent as
   * the `Clone-Ticket` header, which the service hands to that one git process and nothing else.
   */
  clone(id: string, request: CloneRequest, ticket?: string): Promise<CloneResult> {
    const headers: Record<string, string> = ticket === undefined ? {} : { "clone-ticket": ticket };
    return this.call("POST", `/v1/sandboxes/${encodeURIComponent(id)}/clone`, request, headers);
  }

  changes(id: string): Promise<ChangeSet> {
    return this.call("GET", `/v1/sandboxes/${encodeURIComponent(id)}/changes`);
  }

  /** Bytes `[offset, offset + length)` of a blob of the sandbox's repository (`length` ≤ 1 MiB). */
  blobRange(id: string, sha: string, offset: number, length: number): Promise<BlobRange> {
    const query = `offset=${offset}&length=${length}`;
    return this.call(
      "GET",
      `/v1/sandboxes/${encodeURIComponent(id)}/blobs/${encodeURIComponent(sha)}?${query}`,
    );
  }

  /** Small blobs read whole in one call (together at most `BLOB_PIECE_BYTES`), by sha. */
  async readBlobs(id: string, shas: string[]): Promise<Map<string, Uint8Array>> {
    const request: BlobsRequest = { shas };
    const { blobs } = await this.call<{ blobs: BlobRange[] }>(
      "POST",
      `/v1/sandboxes/${encodeURIComponent(id)}/blobs`,
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
      await this.call("DELETE", `/v1/sandboxes/${encodeURIComponent(id)}`);
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
        return this.call("POST", `${base}/exec`, body);
      },
      readFile: async (path) => {
        const file = await this.call<FileContent>("GET", `${base}/files?path=${encodeURIComponent(path)}`);
        return Buffer.from(file.contentBase64, "base64");
      },
      writeFile: async (path, content) => {
        const file: FileContent = { path, contentBase64: Buffer.from(content).toString("base64") };
        await this.call("PUT", `${base}/files`, file);
      },
    };
  }

  private async call<T>(
    method: string,
    path: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<T> {
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
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    if (!response.ok) {
      const problem = parseProblem(text, response.status);
      throw new SandboxError(
        `sandbox service ${method} ${path.split("?")[0]}: ${problem.title}${problem.detail ? ` — ${problem.detail}` : ""}`,
        response.status,
        problem.retryable,
      );
    }
    return JSON.parse(text) as T;
  }
}

function parseProblem(text: string, status: number): SandboxProblem {
  try {
    const parsed = JSON.parse(text) as Partial<SandboxProblem>;
    return {
      title: parsed.title ?? `HTTP ${status}`,
      status,
      detail: parsed.detail,
      retryable: parsed.retryable ?? status >= 500,
    };
  } catch {
    // Not JSON (a proxy's error page, say): judge by the status alone.
    return { title: `HTTP ${status}`, status, detail: text.slice(0, 200), retryable: status >= 500 };
  }
}
