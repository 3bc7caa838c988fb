/**
 * The job's diff in its JobRoom's storage (kv key `diff`): stored once when publishing starts — a
 * later attempt's is of the same staged tree, so the first is kept — and read by `/jobs/:id/diff`
 * and the page. Raw text, not JSON like the other kv values, so escaping cannot grow it past
 * SQLite's row bound.
 */

export function storeDiff(sql: SqlStorage, diff: string): void {
  sql.exec("INSERT INTO kv (key, value) VALUES ('diff', ?) ON CONFLICT(key) DO NOTHING", diff);
}

/** The stored diff; null before publishing started. */
export function readDiff(sql: SqlStorage): string | null {
  const row = sql.exec<{ value: string }>("SELECT value FROM kv WHERE key = 'diff'").toArray()[0];
  return row?.value ?? null;
}
