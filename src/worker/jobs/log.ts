/**
 * The append-only event log in a Durable Object's SQLite storage, and the job snapshot derived
 * from it. The log is the single source of truth (DESIGN.md decision 4): nothing here is stored
 * twice, the snapshot is computed from the events.
 */
import type { JobEvent, JobSnapshot, LoggedEvent, Phase } from "../../protocol/events";
import type { FollowUpOf, GitHubReply } from "../followups/types";
import type { Budget } from "./budget";

export interface JobRecord {
  jobId: string;
  repo: string;
  baseBranch: string | null;
  prompt: string;
  /** Open the PR as a draft; absent means the deployment's default (PR_DRAFT_DEFAULT). */
  draft?: boolean;
  createdAt: string;
  /** Where the job's links point (the public origin of the Worker). */
  origin: string;
  /** Who asked, when the front door knows: a Slack user id for `/pr`, `api:<token name>` for `/code`. */
  requester?: string;
  /** Whose limits and history the job counts in: `api:<token name>`, or `slack:<team>:<user>` for `/pr`. */
  tenant?: string;
  /** The job's budgets, resolved when it was accepted; absent means the deployment's defaults. */
  limits?: Budget;
  /** The Slack thread this job reports to, when it came from `/pr` or a mention. */
  slack?: SlackTarget;
  /** The PR this job continues, when it is a follow-up (a later turn of the PR's conversation). */
  followUp?: FollowUpOf;
  /** Where a follow-up that GitHub started answers when it ends. */
  githubReply?: GitHubReply;
  /**
   * The job's trace (W3C traceparent: trace id and the root span `job`'s id), made by the room at
   * `init`; every process and attempt parents its spans to it (telemetry/job-trace.ts).
   */
  traceparent?: string;
}

/**
 * Where a Slack job's thread lives: the channel, and the command's `response_url` as a fallback
 * ("" when there is none: a mention). Without `threadTs` the job posts a new parent in the channel.
 */
export interface SlackTarget {
  channel: string;
  responseUrl: string;
  /** The thread to report into (a mention's, or a job's for a follow-up). */
  threadTs?: string;
  /** Our message in that thread to take over as the parent (a follow-up); absent: post one there. */
  parentTs?: string;
}

/** Creates the tables (IF NOT EXISTS: safe to repeat); only a room that holds a job has them. */
export function migrate(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    at TEXT NOT NULL,
    dedupe TEXT UNIQUE
  )`);
  sql.exec("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
}

/** Appends one event; returns null when `dedupe` was already used (a replayed emit). */
export function appendEvent(sql: SqlStorage, event: JobEvent, dedupe: string | null): LoggedEvent | null {
  const at = new Date().toISOString();
  // Checked first: a conflicting INSERT would still use up a sequence number and leave a gap.
  if (dedupe !== null && sql.exec("SELECT 1 FROM events WHERE dedupe = ?", dedupe).toArray().length > 0) {
    return null;
  }
  const rows = sql
    .exec<{ seq: number }>(
      "INSERT INTO events (type, data, at, dedupe) VALUES (?, ?, ?, ?) ON CONFLICT(dedupe) DO NOTHING RETURNING seq",
      event.type,
      JSON.stringify(event.data),
      at,
      dedupe,
    )
    .toArray();
  const row = rows[0];
  return row ? ({ ...event, seq: row.seq, at } as LoggedEvent) : null;
}

/** Events with `seq > after`, in order. */
export function readEvents(sql: SqlStorage, after: number): LoggedEvent[] {
  return sql
    .exec<{ seq: number; type: string; data: string; at: string }>(
      "SELECT seq, type, data, at FROM events WHERE seq > ? ORDER BY seq",
      after,
    )
    .toArray()
    .map((r) => ({ type: r.type, data: JSON.parse(r.data), seq: r.seq, at: r.at }) as LoggedEvent);
}

/** The first event of `type`, read alone (not the whole log), or null. */
export function firstOf<T extends JobEvent["type"]>(
  sql: SqlStorage,
  type: T,
): Extract<JobEvent, { type: T }> | null {
  const row = sql
    .exec<{ data: string }>("SELECT data FROM events WHERE type = ? ORDER BY seq LIMIT 1", type)
    .toArray()[0];
  return row ? ({ type, data: JSON.parse(row.data) } as Extract<JobEvent, { type: T }>) : null;
}

/** True once the log holds `done`: nothing is appended after it. */
export function hasEnded(sql: SqlStorage): boolean {
  return sql.exec("SELECT 1 FROM events WHERE type = 'done' LIMIT 1").toArray().length > 0;
}

export function getValue<T>(sql: SqlStorage, key: string): T | null {
  const row = sql.exec<{ value: string }>("SELECT value FROM kv WHERE key = ?", key).toArray()[0];
  return row ? (JSON.parse(row.value) as T) : null;
}

export function setValue(sql: SqlStorage, key: string, value: unknown): void {
  sql.exec("INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", key, JSON.stringify(value));
}

/** The `job` event (always the log's first): what was asked, and where to follow it. */
export function jobEventData(job: JobRecord) {
  const base = `${job.origin}/jobs/${job.jobId}`;
  const { jobId, repo, baseBranch, prompt } = job;
  const chain = job.followUp ? { followUpOf: job.followUp.of, pr: job.followUp.pr.number } : {};
  return { jobId, repo, baseBranch, prompt, ...chain, statusUrl: base, eventsUrl: `${base}/events` };
}

/** Folds the log into `GET /jobs/:id`'s snapshot. */
export function snapshot(job: JobRecord, events: LoggedEvent[]): JobSnapshot {
  const snap: JobSnapshot = {
    jobId: job.jobId,
    repo: job.repo,
    baseBranch: job.baseBranch,
    prompt: job.prompt,
    status: "running",
    phase: "queued" as Phase,
    createdAt: job.createdAt,
    updatedAt: job.createdAt,
    lastSeq: 0,
    followUpOf: job.followUp?.of ?? null,
    followUps: [],
    pr: null,
    error: null,
    usage: null,
  };
  for (const e of events) {
    snap.lastSeq = e.seq;
    snap.updatedAt = e.at;
    if (e.type === "status") snap.phase = e.data.phase;
    else if (e.type === "pr") snap.pr = e.data;
    else if (e.type === "error") snap.error = e.data;
    else if (e.type === "done") {
      snap.status = e.data.status;
      snap.phase = "done";
      snap.usage = e.data.usage;
    }
  }
  return snap;
}
