/**
 * What the service keeps on disk about one sandbox, so a restarted service (new process, same
 * directories) serves it again: who it belongs to (`sandbox.json`), what was cloned (`clone.json`)
 * and the exec idempotency records (`execs/`, see exec-records.ts). The local backend keeps this
 * directory inside the sandbox's own directory but outside what the jail binds; the Modal backend
 * under the service's state directory. Writes are atomic (temp file, then rename).
 */
import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { CloneResult } from "../protocol/sandbox";
import { contextFileSchema, gitShaSchema } from "../protocol/sandbox-schemas";
import { ServiceError } from "./errors";
import { redactUrl } from "./git-clone";
import { sandboxName } from "./job-name";

const metaSchema = z.object({ jobId: z.string().min(1), createdAt: z.iso.datetime() });
export type SandboxMeta = z.infer<typeof metaSchema>;

const cloneSchema = z.object({
  /** The clone URL without credentials, as asked. */
  url: z.string(),
  /** The ref the request named, if any. */
  requestedRef: z.string().optional(),
  headSha: gitShaSchema,
  ref: z.string(),
  // Absent in records written before clones answered them.
  treeSha: gitShaSchema.optional(),
  files: z.array(contextFileSchema).optional(),
});
export type CloneRecord = z.infer<typeof cloneSchema>;

/** What a backend holds in memory of a sandbox's clone (both backends share the shape). */
export interface HeldClone {
  clone?: { url: string; ref?: string; result: Promise<CloneResult> };
  base?: CloneResult;
}

/**
 * A sandbox's one clone, idempotent: a repeat of the same URL (and ref) answers the first clone's
 * result, still running or done; another URL or ref is a 409. `run` clones and records it.
 */
export async function cloneOnce(
  held: HeldClone,
  request: { url: string; ref?: string },
  run: () => Promise<CloneResult>,
): Promise<CloneResult> {
  const url = redactUrl(request.url);
  if (held.clone) {
    const { ref } = request;
    const sameRef = ref === undefined || ref === held.clone.ref || ref === held.base?.ref;
    if (held.clone.url !== url || !sameRef)
      throw new ServiceError(409, "already cloned", `this sandbox holds a clone of ${held.clone.url}`);
    return held.clone.result;
  }
  const result = run();
  held.clone = { url, ref: request.ref, result };
  try {
    held.base = await result;
    return held.base;
  } catch (error) {
    held.clone = undefined;
    throw error;
  }
}

/** The in-memory clone state restored from the record on disk (nothing when never cloned). */
export function heldClone(record: CloneRecord | undefined): HeldClone {
  if (!record) return {};
  const { url: _, requestedRef: __, ...base } = record;
  return { base, clone: { url: record.url, ref: record.requestedRef, result: Promise.resolve(base) } };
}

/** The commit a change is read against: `baseSha`, else the clone's; 409 with neither. */
export function clonedBase(held: HeldClone, baseSha?: string): string {
  const base = baseSha ?? held.base?.headSha;
  if (!base) throw new ServiceError(409, "not cloned", "clone a repository into the sandbox first");
  return base;
}

/** Writes `value` as JSON to `path` atomically; the directory must exist (a removed sandbox stays removed). */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const temp = `${path}.${randomUUID()}.tmp`;
  await writeFile(temp, JSON.stringify(value), { mode: 0o600 });
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** The parsed JSON at `path`, `undefined` when the file is missing or not what `schema` expects. */
export async function readJsonFile<S extends z.ZodType>(
  path: string,
  schema: S,
): Promise<z.infer<S> | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  return parseJsonAs(text, schema);
}

/** `text` as JSON matching `schema`; undefined for a torn or foreign file (atomic writes make it rare). */
export function parseJsonAs<S extends z.ZodType>(text: string, schema: S): z.infer<S> | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    // Not JSON: counts as absent, like a record that fails the schema.
    return undefined;
  }
}

/** One sandbox's state directory. */
export class SandboxState {
  constructor(readonly dir: string) {}

  get execsDir(): string {
    return join(this.dir, "execs");
  }

  /** Creates the directory with the sandbox's identity; done once, at create. */
  async init(meta: SandboxMeta): Promise<void> {
    await mkdir(this.execsDir, { recursive: true, mode: 0o700 });
    await writeJsonAtomic(join(this.dir, "sandbox.json"), meta);
  }

  meta(): Promise<SandboxMeta | undefined> {
    return readJsonFile(join(this.dir, "sandbox.json"), metaSchema);
  }

  clone(): Promise<CloneRecord | undefined> {
    return readJsonFile(join(this.dir, "clone.json"), cloneSchema);
  }

  saveClone(record: CloneRecord): Promise<void> {
    return writeJsonAtomic(join(this.dir, "clone.json"), record);
  }

  remove(): Promise<void> {
    return rm(this.dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

/**
 * The sandboxes recorded under `root`, one subdirectory each, at `root/<name>/<sub>`: only those
 * whose recorded job id gives back their directory name, so a stray directory is never taken for one.
 */
export async function recordedSandboxes(
  root: string,
  sub = "",
): Promise<{ name: string; state: SandboxState; meta: SandboxMeta }[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const found = [];
  for (const name of names) {
    if (!name.startsWith("job-")) continue;
    const state = new SandboxState(join(root, name, sub));
    const meta = await state.meta();
    if (meta && sandboxName(meta.jobId) === name) found.push({ name, state, meta });
  }
  return found;
}
