-- The job history: one row per job, a projection of its JobRoom's log (the room stays the source
-- of truth). Inserted at the job's `job` event, completed at its `done` event.
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  -- Whose limits and history the job counts in: `api:<token name>` or `slack:<team>:<user>`.
  tenant TEXT NOT NULL,
  requester TEXT,
  repo TEXT NOT NULL,
  -- The request's first 200 characters; the whole prompt stays in the room's log.
  prompt TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
  error_code TEXT,
  pr_url TEXT,
  steps INTEGER,
  prompt_tokens INTEGER,
  completion_tokens INTEGER,
  cost_usd REAL,
  -- ISO 8601 UTC (`2026-12-01T13:51:01.123Z`): sorts as text, and its first 10 characters are the day.
  created_at TEXT NOT NULL,
  finished_at TEXT,
  follow_up_of TEXT
);

-- GET /jobs and GET /usage: one tenant's jobs by time (keyset pages on created_at, id).
CREATE INDEX jobs_tenant_created ON jobs (tenant, created_at DESC, id DESC);
-- The admin view across tenants, and ?status= filters.
CREATE INDEX jobs_created ON jobs (created_at DESC, id DESC);
CREATE INDEX jobs_status ON jobs (status);
