// The keys a job needs and the placeholders .dev.vars.example ships, in one place for both the
// Worker (src/worker/config.ts) and `npm run dev` (scripts/dev.mjs), so the two name the same
// missing keys. Plain ESM with a .d.mts beside it: dev.mjs runs on Node without a TypeScript step.

/**
 * Values .dev.vars.example ships as stand-ins for real secrets; a key still holding one counts as
 * unset. A unit test keeps this table equal to the example file.
 */
export const PLACEHOLDERS = Object.freeze({
  CODE_API_TOKENS: "change-me-long-random-token",
  OPENAI_API_KEY: "sk-...",
  GITHUB_TOKEN: "github_pat_...",
  GITHUB_APP_ID: "123456",
  GITHUB_APP_PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----\\n...\\n-----END RSA PRIVATE KEY-----",
  SLACK_BOT_TOKEN: "xoxb-...",
  SLACK_SIGNING_SECRET: "...",
  SANDBOX_SERVICE_TOKEN: "change-me-another-long-random-token",
});

/**
 * What a job needs, each met by any one of its options (every key of that option set): the model
 * key, and GitHub credentials as a token or as a GitHub App.
 */
export const JOB_NEEDS = Object.freeze([
  Object.freeze({ what: "the model API", options: Object.freeze([Object.freeze(["OPENAI_API_KEY"])]) }),
  Object.freeze({
    what: "GitHub",
    options: Object.freeze([
      Object.freeze(["GITHUB_TOKEN"]),
      Object.freeze(["GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY"]),
    ]),
  }),
]);

/** Whether `key` holds a value of its own: set, not blank, and not the example's placeholder. */
export function isConfigured(vars, key) {
  const value = vars[key];
  if (typeof value !== "string" || value.trim() === "") return false;
  const placeholder = PLACEHOLDERS[key];
  return placeholder === undefined || !samePlaceholder(value, placeholder);
}

/** Whether `key` still holds the placeholder from .dev.vars.example. */
export function isPlaceholder(vars, key) {
  const value = vars[key];
  const placeholder = PLACEHOLDERS[key];
  return typeof value === "string" && placeholder !== undefined && samePlaceholder(value, placeholder);
}

// A dotenv parser may or may not have turned the example's `\n` escapes into newlines.
function samePlaceholder(value, placeholder) {
  const v = value.trim();
  return v === placeholder || v === placeholder.replaceAll("\\n", "\n");
}

/**
 * The needs no option of which is configured, each with the keys to set (its first option) and
 * a sentence naming them, e.g. "GITHUB_TOKEN (still the placeholder from .dev.vars.example), or
 * GITHUB_APP_ID with GITHUB_APP_PRIVATE_KEY, for GitHub".
 */
export function missingJobKeys(vars) {
  const missing = [];
  for (const need of JOB_NEEDS) {
    if (need.options.some((keys) => keys.every((key) => isConfigured(vars, key)))) continue;
    const name = (key) =>
      isPlaceholder(vars, key) ? `${key} (still the placeholder from .dev.vars.example)` : key;
    const text = need.options.map((keys) => keys.map(name).join(" with ")).join(", or ");
    missing.push({ keys: [...(need.options[0] ?? [])], text: `${text}, for ${need.what}` });
  }
  return missing;
}
