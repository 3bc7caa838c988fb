/**
 * The job history in D1 (migrations/0001_jobs.sql): the row written when a job starts and when it
 * ends, and the two reads `GET /jobs` and `GET /usage` make. Every write is idempotent, so a
 * projection may repeat one after a failure or a room restart without harm.
 */
import type { JobStatus, Usage } from "../../protocol/events";
import { clip } from "./clip";

export interface HistoryStart {
  id: string;
  tenant: string;
  requester: string | null;
  repo: string;
  prompt: string;
  createdAt: string;
  followUpOf: string | null;
}

export interface HistoryEnd {
  status: JobStatus;
  errorCode: string | null;
  prUrl: string | null;
  usage: Usage;
  finishedAt: string;
}

/** A row as the API shows it. */
export interface HistoryRow {
  jobId: string;
  tenant: string;
  requester: string | null;
  repo: string;
  prompt: string;
  status: "running" | JobStatus;
  errorCode: string | null;
  prUrl: string | null;
  steps: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
  costUsd: number | null;
  createdAt: string;
  finishedAt: string | null;
  followUpOf: string | null;
}

const COLUMNS = `id AS jobId, tenant, requester, repo, prompt, status, error_code AS errorCode,
  pr_url AS prUrl, steps, prompt_tokens AS promptTokens, completion_tokens AS completionTokens,
  cost_usd AS costUsd, created_at AS createdAt, finished_at AS finishedAt, follow_up_of AS followUpOf`;

function startValues(row: HistoryStart) {
  return [row.id, row.tenant, row.requester, row.repo, clip(row.prompt), row.createdAt, row.followUpOf];
}

/** The row of a job that has started; a second write of the same job changes nothing. */
export async function recordStart(db: D1Database, row: HistoryStart): Promise<void> {
  await db
    .prepare(
      `INSERT OR IGNORE INTO jobs (id, tenant, requester, repo, prompt, created_at, follow_up_of)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(...startValues(row))
    .run();
}

/**
 * The job's outcome. An upsert, so a start whose write was lost is written here too: the row
 * exists once the job has ended, whatever happened to the first write.
 */
export async function recordEnd(db: D1Database, row: HistoryStart, end: HistoryEnd): Promise<void> {
  await db
    .prepare(
      `INSERT INTO jobs (id, tenant, requester, repo, prompt, created_at, follow_up_of,
         status, error_code, pr_url, steps, prompt_tokens, completion_tokens, cost_usd, finished_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, error_code = excluded.error_code,
         pr_url = excluded.pr_url, steps = excluded.steps, prompt_tokens = excluded.prompt_tokens,
         completion_tokens = excluded.completion_tokens, cost_usd = excluded.cost_usd,
         finished_at = excluded.finished_at`,
    )
    .bind(
      ...startValues(row),
      end.status,
      end.errorCode,
      end.prUrl,
      end.usage.steps,
      end.usage.promptTokens,
      end.usage.completionTokens,
      end.usage.costUsd ?? null,
      end.finishedAt,
    )
    .run();
}

export interface ListFilter {
  /** null: every tenant (an admin token without `?tenant=`). */
  tenant: string | null;
  status: string | null;
  repo: string | null;
  since: string | null;
  /** Keyset position: rows strictly older than this (created_at, id). */
  before: { createdAt: string; id: string } | null;
  limit: number;
}

/** Newest first, `limit + 1` rows at most, so the caller knows whether another page follows. */
export async function listJobs(db: D1Database, f: ListFilter): Promise<HistoryRow[]> {
  const where: string[] = [];
  const args: (string | number)[] = [];
  const add = (clause: string, ...values: (string | number)[]) => {
    where.push(clause);
    args.push(...values);
  };
  if (f.tenant !== null) add("tenant = ?", f.tenant);
  if (f.status !== null) add("status = ?", f.status);
  if (f.repo !== null) add("repo = ? COLLATE NOCASE", f.repo);
  if (f.since !== null) add("created_at >= ?", f.since);
  if (f.before !== null) {
    add(
      "(created_at < ? OR (created_at = ? AND id < ?))",
      f.before.createdAt,
      f.before.createdAt,
      f.before.id,
    );
  }
  const sql = `SELECT ${COLUMNS} FROM jobs ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
    ORDER BY created_at DESC, id DESC LIMIT ?`;
  const { results } = await db
    .prepare(sql)
    .bind(...args, f.limit + 1)
    .all<HistoryRow>();
  return results;
}

export interface UsageGroup {
  day: string;
  status: "running" | JobStatus;
  jobs: number;
  steps: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

/** Totals per day (of `created_at`, UTC) and status, for days in [from, untilExclusive). */
export async function usageGroups(
  db: D1Database,
  tenant: string | null,
  from: string,
  untilExclusive: string,
): Promise<UsageGroup[]> {
  const { results } = await db
    .prepare(
      `SELECT substr(created_at, 1, 10) AS day, status, COUNT(*) AS jobs,
         COALESCE(SUM(steps), 0) AS steps,
         COALESCE(SUM(prompt_tokens), 0) AS promptTokens,
         COALESCE(SUM(completion_tokens), 0) AS completionTokens,
         COALESCE(SUM(cost_usd), 0) AS costUsd
       FROM jobs WHERE (?1 IS NULL OR tenant = ?1) AND created_at >= ?2 AND created_at < ?3
       GROUP BY day, status ORDER BY day`,
    )
    .bind(tenant, from, untilExclusive)
    .all<UsageGroup>();
  return results;
}
