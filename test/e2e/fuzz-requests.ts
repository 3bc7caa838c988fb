// Generated hostile requests for the fuzz test: a seeded PRNG (so a failure replays) draws
// malformed JSON, wrong types, huge and control-character strings and header tricks across
// /code, /jobs/* and /slack/events. Every request is invalid by construction: none may start a job.
import { signHeaders } from "./slack-requests";

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** mulberry32: a tiny seeded PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

/** Strings a parser might choke on: control characters, lone surrogates, RTL marks, huge runs. */
function nasty(r: Rand): string {
  const pieces = [
    "\u0000",
    "\u0007",
    "\b",
    "\r\n",
    "\u001b[31m",
    "\u202e",
    "\ud800",
    "\udfff",
    "😀",
    "𝕏",
    "é",
    "../../etc/passwd",
    "'; DROP TABLE events; --",
    "$" + "{jndi:ldap://x}",
    "<script>",
    "%00",
    "\\u0000",
    "{{7*7}}",
    " ",
  ];
  const length = r() < 0.03 ? 70_000 : Math.floor(r() * 40);
  let s = "";
  while (s.length < length) s += r() < 0.5 ? pick(r, pieces) : String.fromCharCode(Math.floor(r() * 0xffff));
  return s;
}

function wrongValue(r: Rand): unknown {
  return pick(r, [null, 0, -1, 1e308, true, [], {}, [1, 2], { $ne: 1 }, nasty(r), 12.5, "", "   "]);
}

/** A JSON-ish body for /code that the schema must refuse (each variant breaks at least one rule). */
function badCodeBody(r: Rand): string {
  const good = { repoUrl: "acme/api", prompt: "add a file" };
  switch (Math.floor(r() * 8)) {
    case 0:
      return JSON.stringify({
        ...good,
        repoUrl: pick(r, [5, null, [], {}, "", "nope", "http://evil/x/y", "a/b/c/d"]),
      });
    case 1:
      return JSON.stringify({ ...good, prompt: pick(r, [1, null, [], {}, "", "   ", "x".repeat(20_001)]) });
    case 2:
      return JSON.stringify({ ...good, [nasty(r) || "extra"]: wrongValue(r) });
    case 3:
      return JSON.stringify({
        ...good,
        baseBranch: pick(r, ["a..b", "-x", "a b", "refs/../x", "x.lock", 7, "\u0000"]),
      });
    case 4:
      return JSON.stringify({ ...good, draft: pick(r, ["yes", 1, null, []]) });
    case 5:
      return JSON.stringify({
        ...good,
        limits: pick(r, [{ maxSteps: 0 }, { maxSteps: 1e9 }, { bogus: 1 }, "many", []]),
      });
    case 6:
      return pick(r, ["", "{", "null", "[]", '"str"', '{"repoUrl":', "{'a':1}", "\u0000", "{}", "1e999"]);
    default:
      return JSON.stringify(pick(r, [[good], wrongValue(r), { repoUrl: "acme/api" }, { prompt: "x" }]));
  }
}

/** URL-encodes, replacing lone surrogates (which encodeURIComponent refuses) first. */
const enc = (s: string) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, "\ufffd"));

const ids = () => [
  crypto.randomUUID(),
  "not-a-uuid",
  "%2e%2e",
  "..",
  "00000000-0000-0000-0000-000000000000",
  encodeURIComponent("😀\u0000"),
  "x".repeat(500),
  "123",
];

/** One hostile request; `token` is valid for /code, `signingSecret` signs some Slack bodies. */
export function hostileRequest(r: Rand, token: string, signingSecret: string): FuzzRequest {
  const kind = r();
  if (kind < 0.45) {
    const headers: Record<string, string> = {
      authorization: pick(r, [
        `Bearer ${token}`,
        `Bearer ${token}`,
        `bearer ${token}`,
        "Bearer",
        "Basic Zm9vOmJhcg==",
        `Bearer ${token}x`,
        "",
        "Bearer \u00e9\u00e9",
      ]),
      "content-type": pick(r, [
        "application/json",
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/jsonx",
        "multipart/form-data; boundary=x",
        "APPLICATION/JSON",
        "",
      ]),
    };
    if (r() < 0.2) headers["idempotency-key"] = pick(r, ["", "a b", "\u00e9", "k".repeat(300), "ok-key"]);
    // With a valid token and JSON type, the body itself must be invalid.
    const body = r() < 0.1 ? nasty(r) : badCodeBody(r);
    return {
      method: pick(r, ["POST", "POST", "POST", "PUT", "GET", "DELETE"]),
      path: "/code",
      headers,
      body,
    };
  }
  if (kind < 0.75) {
    const id = pick(r, ids());
    const suffix = pick(r, [
      "",
      "/events",
      "/cancel",
      "/events?after=-1",
      "/events?after=1e99",
      "/events?after=abc",
      "/x/y",
    ]);
    const method = suffix === "/cancel" ? "POST" : pick(r, ["GET", "GET", "POST", "DELETE"]);
    const headers: Record<string, string> = {};
    if (r() < 0.5)
      headers["last-event-id"] = pick(r, ["-1", "abc", "99999999999999999999", " 3 ", "1.5", ""]);
    if (r() < 0.3) headers.authorization = pick(r, [`Bearer ${token}`, "Bearer nope"]);
    return { method, path: `/jobs/${id}${suffix}`, headers };
  }
  const body = pick(r, [
    nasty(r),
    `command=/pr&text=${enc(pick(r, ["", "help", "!!! nope", `!!! ${nasty(r)}`]))}&user_id=U1&team_id=T1&trigger_id=t&response_url=http://127.0.0.1:9/x`,
    `payload=${enc(pick(r, ["{", "null", JSON.stringify({ type: "block_actions", actions: [{ action_id: "cancel_job", value: "x" }] }), nasty(r)]))}`,
    "command=/other&text=x",
  ]);
  const signed = r() < 0.5;
  const headers: Record<string, string> = {
    "content-type": pick(r, ["application/x-www-form-urlencoded", "application/json", "text/plain"]),
    ...(signed
      ? signHeaders(signingSecret, body)
      : {
          "x-slack-signature": pick(r, ["v0=00", "", "v1=abc"]),
          "x-slack-request-timestamp": pick(r, ["0", "abc", "99999999999"]),
        }),
  };
  return { method: "POST", path: "/slack/events", headers, body };
}
