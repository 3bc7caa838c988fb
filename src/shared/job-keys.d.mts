// Types of job-keys.mjs (plain ESM so that scripts/dev.mjs can import it on Node without a build).

export type Vars = Readonly<Record<string, unknown>>;

export interface MissingNeed {
  /** The keys to set (the first of the need's options). */
  keys: string[];
  /** Every option named, placeholders marked, and what it is for. */
  text: string;
}

export declare const PLACEHOLDERS: Readonly<Record<string, string>>;
export declare const JOB_NEEDS: readonly { what: string; options: readonly (readonly string[])[] }[];
export declare function isConfigured(vars: Vars, key: string): boolean;
export declare function isPlaceholder(vars: Vars, key: string): boolean;
export declare function missingJobKeys(vars: Vars): MissingNeed[];
