/**
 * A job's budgets: steps, tokens, wall time and per-command time. The deployment sets defaults
 * (AGENT_MAX_*) and ceilings (AGENT_LIMIT_CEILINGS); a request may ask for other values up to the
 * ceilings and is refused above them. The resolved budget is stored with the job.
 */

export interface Budget {
  maxSteps: number;
  maxTokens: number;
  maxMinutes: number;
  commandTimeoutSeconds: number;
}

export type RequestedLimits = Partial<Budget>;

export interface BudgetConfig {
  defaults: Budget;
  ceilings: Budget;
}

const KEYS = ["maxSteps", "maxTokens", "maxMinutes", "commandTimeoutSeconds"] as const;

/** Defaults and ceilings from the Worker's vars; a ceiling is never below its default. */
export function budgetConfig(env: Env): BudgetConfig {
  const defaults: Budget = {
    maxSteps: positiveInt(env.AGENT_MAX_STEPS, 40),
    maxTokens: positiveInt(env.AGENT_MAX_TOKENS, 2_000_000),
    maxMinutes: positiveInt(env.AGENT_MAX_WALL_SECONDS, 1200) / 60,
    commandTimeoutSeconds: positiveInt(env.AGENT_COMMAND_TIMEOUT_SECONDS, 120),
  };
  let raw: Record<string, unknown> = {};
  try {
    raw = JSON.parse(env.AGENT_LIMIT_CEILINGS || "{}") as Record<string, unknown>;
  } catch (error) {
    console.error("AGENT_LIMIT_CEILINGS is not JSON; the defaults are the ceilings:", String(error));
  }
  const ceilings = { ...defaults };
  for (const key of KEYS) {
    const value = raw[key];
    if (typeof value === "number" && value > defaults[key]) ceilings[key] = value;
  }
  return { defaults, ceilings };
}

/** The budget for a request: its own values where given, else the defaults; a string says what is too high. */
export function resolveBudget(config: BudgetConfig, requested: RequestedLimits = {}): Budget | string {
  const budget = { ...config.defaults };
  for (const key of KEYS) {
    const value = requested[key];
    if (value === undefined) continue;
    if (value > config.ceilings[key])
      return `limits.${key}: at most ${config.ceilings[key]} on this deployment`;
    budget[key] = value;
  }
  return budget;
}

function positiveInt(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}
