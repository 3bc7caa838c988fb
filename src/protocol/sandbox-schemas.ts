/**
 * Zod schemas of the sandbox service's replies (src/protocol/sandbox.ts), for the Worker's client
 * to check every answer and for the service's own records. Runtime code, so imported from both
 * runtimes: it depends on zod only. Each schema is checked at compile time against its interface,
 * so the two cannot drift apart.
 */
import { z } from "zod";
import type {
  BlobRange,
  Change,
  ChangeSet,
  CloneResult,
  ContextFile,
  EnvironmentBegun,
  EnvironmentReady,
  ExecResult,
  FileContent,
  OwnedSandbox,
  OwnedSandboxes,
  SandboxDiff,
  SandboxInfo,
  SandboxProblem,
  SandboxReadiness,
} from "./sandbox";

/** At most this many `CloneRequest.contextPaths` per clone. */
export const MAX_CONTEXT_PATHS = 32;
/** Bytes of one context file a clone answers; a longer file is cut there (`truncated`). */
export const MAX_CONTEXT_FILE_BYTES = 64 * 1024;
/** The most content bytes a change set carries inline (`ChangeSet.contents`). */
export const MAX_INLINE_CHANGE_BYTES = 256 * 1024;

/** Bytes of one file's hunks in a sandbox diff (`SandboxDiff`); past it the file is cut with a marker. */
export const MAX_DIFF_FILE_BYTES = 64 * 1024;
/** Bytes of a whole sandbox diff, markers included: half a MiB, so it is stored and served in one piece. */
export const MAX_DIFF_BYTES = 512 * 1024;
/**
 * How the lines the service adds to a bounded diff begin. Git starts no line of a diff with a
 * backslash except "\ No newline at end of file", so these cannot come from a file's content.
 */
export const DIFF_TRUNCATED_MARKER = "\\ truncated: ";
export const DIFF_OMITTED_MARKER = "\\ omitted: ";

/** A full git object id (SHA-1, or SHA-256 for repositories in that format), lowercase hex. */
export const gitShaSchema = z
  .string()
  .regex(/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/, "must be a full lowercase git sha");

const fileModeSchema = z.enum(["100644", "100755", "120000"]);

export const sandboxInfoSchema = z.object({
  id: z.string().min(1),
  jobId: z.string().min(1),
  backend: z.enum(["local", "modal"]),
  createdAt: z.string().min(1),
  warm: z.boolean().optional(),
  notes: z.array(z.string()).optional(),
});

export const environmentBegunSchema = z.object({ phase: z.literal("setup") });

export const environmentReadySchema = z.object({
  phase: z.literal("agent"),
  saved: z.boolean(),
  bytes: z.int().min(0).optional(),
  evicted: z.int().min(0),
});

export const contextFileSchema = z.object({
  path: z.string().min(1),
  text: z.string(),
  truncated: z.boolean(),
});

export const cloneResultSchema = z.object({
  headSha: gitShaSchema,
  ref: z.string().min(1),
  treeSha: gitShaSchema.optional(),
  files: z.array(contextFileSchema).optional(),
});

export const execResultSchema = z.object({
  exitCode: z.int(),
  output: z.string(),
  truncated: z.boolean(),
  timedOut: z.boolean(),
  durationMs: z.number().min(0),
  interrupted: z.boolean().optional(),
});

export const fileContentSchema = z.object({
  path: z.string(),
  contentBase64: z.base64(),
  mode: fileModeSchema.optional(),
});

export const changeSchema = z.union([
  z.object({
    path: z.string().min(1),
    status: z.enum(["added", "modified"]),
    mode: fileModeSchema,
    sha: gitShaSchema,
    size: z.int().min(0),
    binary: z.boolean(),
    target: z.string().optional(),
  }),
  z.object({ path: z.string().min(1), status: z.literal("deleted") }),
]);

export const changeSetSchema = z.object({
  baseSha: gitShaSchema,
  changes: z.array(changeSchema),
  treeSha: gitShaSchema.optional(),
  contents: z.record(gitShaSchema, z.base64()).optional(),
});

export const blobRangeSchema = z.object({
  sha: gitShaSchema,
  size: z.int().min(0),
  offset: z.int().min(0),
  contentBase64: z.base64(),
});

export const sandboxDiffSchema = z.object({
  baseSha: gitShaSchema,
  // UTF-16 units: never more than the UTF-8 bytes the service bounds.
  diff: z.string().max(MAX_DIFF_BYTES),
  truncated: z.boolean(),
});

export const blobsSchema = z.object({ blobs: z.array(blobRangeSchema) });

export const sandboxProblemSchema = z.object({
  type: z.string().optional(),
  title: z.string(),
  status: z.int(),
  detail: z.string().optional(),
  retryable: z.boolean(),
});

export const sandboxReadinessSchema = z.object({
  ok: z.literal(true),
  backend: z.enum(["local", "modal"]),
  ms: z.number().min(0),
});

export const ownedSandboxSchema = z.object({ id: z.string().min(1), jobId: z.string() });
export const ownedSandboxesSchema = z.object({ sandboxes: z.array(ownedSandboxSchema) });
export const sandboxListSchema = z.object({ sandboxes: z.array(sandboxInfoSchema) });
export const terminatedSchema = z.object({ terminated: z.array(ownedSandboxSchema) });

/** Compile-time proof that a schema's output is exactly the protocol's type (never used at runtime). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type SchemasMatchProtocol = [
  Assert<Same<z.infer<typeof sandboxInfoSchema>, SandboxInfo>>,
  Assert<Same<z.infer<typeof environmentBegunSchema>, EnvironmentBegun>>,
  Assert<Same<z.infer<typeof environmentReadySchema>, EnvironmentReady>>,
  Assert<Same<z.infer<typeof cloneResultSchema>, CloneResult>>,
  Assert<Same<z.infer<typeof contextFileSchema>, ContextFile>>,
  Assert<Same<z.infer<typeof execResultSchema>, ExecResult>>,
  Assert<Same<z.infer<typeof fileContentSchema>, FileContent>>,
  Assert<Same<z.infer<typeof changeSchema>, Change>>,
  Assert<Same<z.infer<typeof changeSetSchema>, ChangeSet>>,
  Assert<Same<z.infer<typeof blobRangeSchema>, BlobRange>>,
  Assert<Same<z.infer<typeof sandboxDiffSchema>, SandboxDiff>>,
  Assert<Same<z.infer<typeof sandboxProblemSchema>, SandboxProblem>>,
  Assert<Same<z.infer<typeof ownedSandboxSchema>, OwnedSandbox>>,
  Assert<Same<z.infer<typeof ownedSandboxesSchema>, OwnedSandboxes>>,
  Assert<Same<z.infer<typeof sandboxReadinessSchema>, SandboxReadiness>>,
];
