/**
 * A job's budgets: steps, tokens, wall time and per-command time. The deployment sets defaults
 * (AGENT_MAX_*) and ceilings (AGENT_LIMIT_CEILINGS), parsed and checked in config.ts; a request
 * may ask for other values up to the ceilings and is refused above them. The resolved budget is
 * stored with the job.
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
