/**
 * `finish`: ends the run. Not an action in the sandbox; its title and summary become the pull
 * request's, so the dispatcher hands it back to the loop instead of executing it. A follow-up
 * continues a pull request that has a title already: there `title` is optional, given only when
 * the request asks to rename the pull request (its variant below); a first turn must name it.
 */
import { z } from "zod";

const title = z.string().trim().min(1).max(200);
const summary = z
  .string()
  .trim()
  .min(1)
  .max(20_000)
  .describe("Pull request body: what changed and why, in Markdown.");

export const finishSchema = z
  .object({ title: title.describe("Pull request title: imperative, under 72 characters."), summary })
  .strict();

/** A follow-up's `finish`: the pull request keeps its title unless the request renames it. */
export const followUpFinishSchema = z
  .object({
    title: title
      .optional()
      .describe(
        "Only when the request asks to rename the pull request: its new title, imperative, under 72 characters. Leave it out otherwise: the pull request keeps its title.",
      ),
    summary: summary.describe("What this turn changed on top of the pull request and why, in Markdown."),
  })
  .strict();

/** What `finish` hands back: `title` is always there on a first turn (`finishSchema` requires it). */
export type FinishInput = z.infer<typeof followUpFinishSchema>;

export const finish = {
  name: "finish",
  description:
    "Call when the change is complete and checked. Its title and summary become the pull request's.",
  schema: finishSchema,
};

export const followUpFinish = {
  name: "finish",
  description:
    "Call when the requested change is complete and checked. Its summary describes this turn in the pull request; a title renames the pull request, so give one only when the request asks for that.",
  schema: followUpFinishSchema,
};
