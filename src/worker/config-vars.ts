/**
 * zod field types for Worker vars, which arrive as strings (wrangler.toml [vars], .dev.vars,
 * `wrangler secret put`): whole numbers, booleans, URLs, JSON and secrets. An unset or empty var
 * takes its default; a set one that does not parse is a problem naming the var, never a silent
 * fallback. Secret values are never echoed in a message.
 */
import { z } from "zod";
import { isConfigured } from "../shared/job-keys.mjs";

const text = z.string().optional();

/** A whole number of at least `min`, `fallback` when unset. */
export function wholeNumber(fallback: number, min: 0 | 1 = 1) {
  return text.transform((value, ctx): number => {
    if (value === undefined || value.trim() === "") return fallback;
    const n = Number(value);
    if (/^\s*\d+\s*$/.test(value) && Number.isSafeInteger(n) && n >= min) return n;
    ctx.addIssue({
      code: "custom",
      message: `must be a whole number${min === 1 ? " above 0" : " (0 or more)"}, not ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  });
}

/** A number above 0 (fractions allowed), `fallback` when unset. */
export function positiveNumber(fallback: number) {
  return text.transform((value, ctx): number => {
    if (value === undefined || value.trim() === "") return fallback;
    const n = Number(value);
    if (Number.isFinite(n) && n > 0) return n;
    ctx.addIssue({ code: "custom", message: `must be a number above 0, not ${JSON.stringify(value)}` });
    return z.NEVER;
  });
}

/** `true` or `false`, `fallback` when unset. */
export function flag(fallback: boolean) {
  return text.transform((value, ctx): boolean => {
    if (value === undefined || value.trim() === "") return fallback;
    if (value.trim() === "true") return true;
    if (value.trim() === "false") return false;
    ctx.addIssue({ code: "custom", message: `must be true or false, not ${JSON.stringify(value)}` });
    return z.NEVER;
  });
}

/** An http(s) URL, `fallback` when unset. */
export function httpUrl(fallback: string) {
  return text.transform((value, ctx): string => {
    if (value === undefined || value.trim() === "") return fallback;
    if (/^https?:\/\/[^/\s]+/i.test(value.trim())) return value.trim();
    ctx.addIssue({ code: "custom", message: `must be an http(s) URL, not ${JSON.stringify(value)}` });
    return z.NEVER;
  });
}

/** One of `values`, the first when unset. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return text.transform((value, ctx): T[number] => {
    if (value === undefined || value.trim() === "") return values[0];
    const found = values.find((v) => v === value.trim());
    if (found !== undefined) return found;
    ctx.addIssue({ code: "custom", message: `must be ${values.join(" or ")}, not ${JSON.stringify(value)}` });
    return z.NEVER;
  });
}

/** JSON text matching `schema`; `{}` when unset. */
export function json<S extends z.ZodType>(schema: S) {
  return text
    .transform((value, ctx): unknown => {
      if (value === undefined || value.trim() === "") return {};
      try {
        return JSON.parse(value);
      } catch {
        ctx.addIssue({ code: "custom", message: "is not valid JSON" });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

/** A secret `key`: its value, or undefined when unset, blank or the .dev.vars.example placeholder. */
export function secret(key: string) {
  return text.transform((value): string | undefined =>
    isConfigured({ [key]: value }, key) ? value : undefined,
  );
}

/** A GitHub login, or an App's `slug[bot]` (a leading `@` is dropped); null when unset. */
export function login() {
  return text.transform((value, ctx): string | null => {
    const name = (value ?? "").trim().replace(/^@/, "");
    if (name === "") return null;
    if (/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/.test(name)) return name;
    ctx.addIssue({ code: "custom", message: `must be a GitHub login, not ${JSON.stringify(value)}` });
    return z.NEVER;
  });
}
