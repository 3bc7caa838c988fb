/**
 * The `POST /code` request body as a zod schema: it validates requests (routes/code.ts) and is the
 * source of `/openapi.json`'s CodeRequest (routes/openapi.ts), so the two cannot drift. No runtime
 * imports beyond zod, so Node tests can compare the published schema with it.
 */
import { z } from "zod";
import { isValidBranch } from "../github/repo";

export const MAX_BODY_BYTES = 64 * 1024;
export const MAX_PROMPT_CHARS = 20_000;

/** The request body; also the source of `/openapi.json`'s schema. */
export const codeRequestSchema = z
  .object({
    repoUrl: z.string().min(1).max(300).describe("`owner/repo` or `https://github.com/owner/repo`"),
    // Length before trimming and "not blank" as a pattern, so the published schema (maxLength,
    // pattern) refuses exactly what this refuses.
    prompt: z
      .string()
      .max(MAX_PROMPT_CHARS)
      .trim()
      .min(1)
      .regex(/\S/, "must not be blank")
      .describe("What the agent should do, in plain words."),
    baseBranch: z
      .string()
      .max(255)
      .refine(isValidBranch, "is not a valid branch name")
      .optional()
      .describe("Branch to start from and open the PR against; the repository's default when absent."),
    draft: z
      .boolean()
      .optional()
      .describe("Open the pull request as a draft; the deployment's default (PR_DRAFT_DEFAULT) when absent."),
    limits: z
      .object({
        maxSteps: z.number().int().min(1).optional().describe("Tool calls before the run stops."),
        maxTokens: z.number().int().min(1000).optional().describe("Prompt + completion tokens."),
        maxMinutes: z.number().positive().optional().describe("Wall time of the whole job."),
        commandTimeoutSeconds: z.number().int().min(1).optional().describe("Time limit of one command."),
      })
      .strict()
      .optional()
      .describe("Budgets for this job, up to the deployment's ceilings (above them the request is refused)."),
  })
  .strict();

/** `POST /jobs/:id/followups`: the next turn's request on the job's pull request. */
export const followUpRequestSchema = codeRequestSchema.pick({ prompt: true, limits: true }).strict();
