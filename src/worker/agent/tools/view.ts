/**
 * `view`: a file with line numbers, a range at a time, so the model can quote exact text for
 * `edit` and read large files in pieces instead of flooding its context with `cat`.
 */
import { z } from "zod";
import { linesOf, numbered, readText } from "./files";
import { tool } from "./types";

/** Most lines one call shows; the model pages on with `start`. */
export const VIEW_MAX_LINES = 300;

export const view = tool({
  name: "view",
  description:
    `Show a text file with line numbers (at most ${VIEW_MAX_LINES} lines per call). ` +
    "Give `start` and `end` (1-based, inclusive) to see a range; the answer says how to see more.",
  schema: z
    .object({
      path: z.string().min(1).describe("File path relative to the repository root."),
      start: z.number().int().min(1).optional().describe("First line to show (default 1)."),
      end: z.number().int().min(1).optional().describe("Last line to show (default start + 299)."),
    })
    .strict()
    .refine((v) => v.end === undefined || v.start === undefined || v.end >= v.start, {
      message: "`end` must be at least `start`",
      path: ["end"],
    }),
  async execute({ path, start = 1, end }, ctx) {
    const file = await readText(ctx.sandbox, path);
    if (!file.ok) return { output: `Error: ${file.message}` };
    const lines = linesOf(file.text);
    if (lines.length === 0) return { output: `${path} is empty.` };
    if (start > lines.length) {
      return {
        output: `Error: ${path} has ${lines.length} lines; \`start\` must be at most ${lines.length}.`,
      };
    }
    const last = Math.min(lines.length, end ?? start + VIEW_MAX_LINES - 1, start + VIEW_MAX_LINES - 1);
    const header = `${path}: lines ${start}-${last} of ${lines.length}`;
    const more =
      last < lines.length ? `\n[${lines.length - last} more lines: call view with start=${last + 1}]` : "";
    return { output: `${header}\n${numbered(lines, start, last)}${more}` };
  },
});
