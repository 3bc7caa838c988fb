// Small statistics for the benchmark table: percentiles over samples, and the row shape.

export interface Row {
  figure: string;
  value: string;
  target: string;
}

/** The q-quantile (0..1) of `samples` by nearest rank. */
export function percentile(samples: number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export const ms = (n: number) => `${n.toFixed(1)} ms`;

/** Renders rows as a Markdown table. */
export function table(rows: Row[]): string {
  const lines = ["| figure | measured | target |", "|---|---|---|"];
  for (const r of rows) lines.push(`| ${r.figure} | ${r.value} | ${r.target} |`);
  return lines.join("\n");
}
