/**
 * A sandbox's environment and phase, shared by both backends: what it was created with (the
 * repo and cache key, whether it started warm, the backend's notes) and where it is: `agent`
 * (the default, network shut), `setup` (after `environment/begin`, network on) and `agent` again,
 * for good, after `environment/ready`. Kept in `environment.json` in the sandbox's state
 * directory (written atomically), so a restarted service keeps the phase, and answers a repeated
 * `ready` with the first one's result.
 */
import { join } from "node:path";
import { z } from "zod";
import type {
  EnvironmentBegun,
  EnvironmentReady,
  SandboxEnvironment,
  SandboxInfo,
} from "../protocol/sandbox";
import type { EnvCacheSaved } from "./env-cache";
import { ServiceError } from "./errors";
import { readJsonFile, writeJsonAtomic } from "./sandbox-state";

const recordSchema = z.object({
  environment: z.object({ repo: z.string(), cacheKey: z.string(), image: z.string().optional() }).optional(),
  warm: z.boolean(),
  notes: z.array(z.string()),
  phase: z.enum(["setup", "agent"]),
  /** `environment/ready` was called: the phase is `agent` for good. */
  sealed: z.boolean(),
  /** Its answer once the save (if any) is done; absent while it runs or after a crash in it. */
  ready: z
    .object({ saved: z.boolean(), bytes: z.int().min(0).optional(), evicted: z.int().min(0) })
    .optional(),
});
type PhaseRecord = z.infer<typeof recordSchema>;

const FILE = "environment.json";

/** One sandbox's phase machine; `save` stores its environment in the backend's cache. */
export class EnvironmentPhase {
  private readying?: Promise<EnvironmentReady>;

  private constructor(
    private readonly stateDir: string,
    private record: PhaseRecord,
  ) {}

  /** A new sandbox's record (written now): `agent` phase, nothing sealed. */
  static async create(
    stateDir: string,
    environment: SandboxEnvironment | undefined,
    warm: boolean,
    notes: string[],
  ): Promise<EnvironmentPhase> {
    const record: PhaseRecord = { warm, notes, phase: "agent", sealed: false };
    if (environment) record.environment = environment;
    await writeJsonAtomic(join(stateDir, FILE), record);
    return new EnvironmentPhase(stateDir, record);
  }

  /** The recorded phase of a sandbox; one recorded before environments existed is a plain `agent` one. */
  static async load(stateDir: string): Promise<EnvironmentPhase> {
    const record = await readJsonFile(join(stateDir, FILE), recordSchema);
    return new EnvironmentPhase(
      stateDir,
      record ?? { warm: false, notes: [], phase: "agent", sealed: false },
    );
  }

  /** Whether commands run now get network. */
  get network(): boolean {
    return this.record.phase === "setup";
  }

  get environment(): SandboxEnvironment | undefined {
    return this.record.environment;
  }

  get warm(): boolean {
    return this.record.warm;
  }

  /** What `SandboxInfo` says of the environment: `warm` when created with one, `notes` when any. */
  infoFields(): Pick<SandboxInfo, "warm" | "notes"> {
    return {
      ...(this.record.environment ? { warm: this.record.warm } : {}),
      ...(this.record.notes.length > 0 ? { notes: [...this.record.notes] } : {}),
    };
  }

  async begin(): Promise<EnvironmentBegun> {
    if (this.record.sealed)
      throw new ServiceError(409, "setup phase over", "environment/ready was called: the network stays off");
    if (this.record.phase !== "setup") await this.write({ ...this.record, phase: "setup" });
    return { phase: "setup" };
  }

  /**
   * Seals the agent phase (recorded before anything is saved, so no command gets network again),
   * then runs `save` when asked and records its answer. One call at a time; a repeat answers the
   * recorded result; a repeat after a crash mid-save saves again (the cache drops a duplicate).
   */
  ready(
    save: boolean,
    store: (environment: SandboxEnvironment) => Promise<EnvCacheSaved>,
  ): Promise<EnvironmentReady> {
    const previous = this.readying ?? Promise.resolve(undefined);
    const run = previous
      // The earlier call's caller got its error; this one tries again.
      .catch(() => undefined)
      .then(async () => {
        if (this.record.ready) return { phase: "agent" as const, ...this.record.ready };
        if (save && !this.record.environment)
          throw new ServiceError(
            409,
            "no environment",
            "the sandbox was created without an environment to save",
          );
        if (!this.record.sealed || this.record.phase !== "agent")
          await this.write({ ...this.record, phase: "agent", sealed: true });
        const { environment } = this.record;
        const result: EnvCacheSaved =
          save && environment ? await store(environment) : { saved: false, evicted: 0 };
        const ready = {
          saved: result.saved,
          evicted: result.evicted,
          ...(result.bytes === undefined ? {} : { bytes: result.bytes }),
        };
        await this.write({ ...this.record, ready });
        return { phase: "agent" as const, ...ready };
      });
    this.readying = run;
    return run;
  }

  /** Resolves once no `ready` is running (its save copies the workspace: nothing may change it meanwhile). */
  async settled(): Promise<void> {
    // Its caller saw the failure; a later command only needs it over.
    await this.readying?.catch(() => undefined);
  }

  private async write(record: PhaseRecord): Promise<void> {
    await writeJsonAtomic(join(this.stateDir, FILE), record);
    this.record = record;
  }
}
