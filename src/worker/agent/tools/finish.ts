/**
 * `finish`: ends the run. Not an action in the sandbox; its title and summary become the pull
 * request's, so the dispatcher hands it back to the loop instead of executing it.
 */
import { z } from "zod";

export const finishSchema = z
  .object({
    title: z.string().trim().min(1).max(200).describe("Pull request title: imperative, under 72 characters."),
    summary: z
      .string()
      .trim()
      .min(1)
      .max(20_000)
      .describe("Pull request body: what changed and why, in Markdown."),
  })
  .strict();

export type FinishInput = z.infer<typeof finishSchema>;

export const finish = {
  name: "finish",
  description:
    "Call when the change is complete and checked. Its title and summary become the pull request's.",
  schema: finishSchema,
};
