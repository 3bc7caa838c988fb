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
import { sandboxName } from "./job-name";

const metaSchema = z.object({ jobId: z.string().min(1), createdAt: z.iso.datetime() });
export type SandboxMeta = z.infer<typeof metaSchema>;

const cloneSchema = z.object({
  /** The clone URL without credentials, as asked. */
  url: z.string(),
  /** The ref the request named, if any. */
  requestedRef: z.string().optional(),
  headSha: z.string().regex(/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/),
  ref: z.string(),
});
export type CloneRecord = z.infer<typeof cloneSchema>;

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
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    // A torn or foreign file counts as absent; atomic writes make this rare.
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
