// The job history's pure parts: the opaque cursor (only what the API issued decodes), the usage
// range's days, and the prompt's 200-character cut, which never splits a character.
import { describe, expect, it } from "vitest";
import { clip, PROMPT_CHARS } from "../../src/worker/history/clip";
import {
  daysBetween,
  decodeCursor,
  encodeCursor,
  MAX_USAGE_DAYS,
  nextDay,
} from "../../src/worker/history/query";

const at = { createdAt: "2026-12-01T13:51:01.123Z", id: "0b9c5f6e-3f1a-4c2b-9d8e-7a6b5c4d3e2f" };

describe("the cursor", () => {
  it("round-trips, and is URL-safe", () => {
    const cursor = encodeCursor(at);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(at);
  });

  it.each([
    ["empty", ""],
    ["not base64url", "a+b/c="],
    ["not JSON", Buffer.from("created,id").toString("base64url")],
    ["not a pair", Buffer.from(JSON.stringify([at.createdAt])).toString("base64url")],
    ["no time", Buffer.from(JSON.stringify(["yesterday", at.id])).toString("base64url")],
    ["no job id", Buffer.from(JSON.stringify([at.createdAt, "x' OR 1=1 --"])).toString("base64url")],
    ["not UTF-8", Buffer.from([0xff, 0xfe, 0x22]).toString("base64url")],
  ])("refuses one %s", (_what, text) => {
    expect(decodeCursor(text)).toBeNull();
  });
});

describe("usage days", () => {
  it("lists every day, both ends included, across a month and a leap day", () => {
    expect(daysBetween("2028-02-28", "2028-03-01")).toEqual(["2028-02-28", "2028-02-29", "2028-03-01"]);
    expect(daysBetween("2026-12-01", "2026-12-01")).toEqual(["2026-12-01"]);
    expect(nextDay("2026-12-31")).toBe("2027-01-01");
  });

  it("refuses an inverted range, and stops counting past the bound", () => {
    expect(daysBetween("2026-12-02", "2026-12-01")).toBeNull();
    expect(daysBetween("2026-01-01", "2026-12-31")).toHaveLength(365);
    expect(daysBetween("2020-01-01", "2030-01-01")?.length).toBe(MAX_USAGE_DAYS + 1);
  });
});

describe("the prompt's cut", () => {
  it("keeps short prompts whole and cuts long ones at 200 characters, never inside one", () => {
    expect(clip("add a test")).toBe("add a test");
    const emoji = "🚀".repeat(PROMPT_CHARS + 5);
    expect([...clip(emoji)]).toHaveLength(PROMPT_CHARS);
    expect(clip(emoji)).toBe("🚀".repeat(PROMPT_CHARS));
  });
});
