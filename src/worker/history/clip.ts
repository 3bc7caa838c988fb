/**
 * The history row keeps the request's first 200 characters; the whole prompt stays in the room's
 * log. Pure (no Worker types), so Node tests check it directly.
 */

/** Characters of the request kept in the row. */
export const PROMPT_CHARS = 200;

/** Code points, not UTF-16 units: a cut never splits an emoji into half a surrogate pair. */
export function clip(text: string, chars = PROMPT_CHARS): string {
  const points = [...text];
  return points.length <= chars ? text : points.slice(0, chars).join("");
}
