/**
 * Cutting long text to head + tail with a marker: the model sees how a command began and how it
 * ended (where errors and summaries live), and the transcript stays bounded.
 */

/** Keeps the first and last `max / 2` characters of `text`, with a marker saying how much was cut. */
export function truncateMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const half = Math.max(0, Math.floor(max / 2));
  const cut = text.length - half * 2;
  return `${text.slice(0, half)}\n[… ${cut.toLocaleString("en-US")} characters cut …]\n${text.slice(text.length - half)}`;
}

/** One-line abbreviation for event payloads (`step.input`/`step.output`). */
export function abbreviate(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, Math.max(0, max - 1))}…`;
}
