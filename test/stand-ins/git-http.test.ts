// The stand-in answers a clone's upload-pack requests without `git http-backend` between: here
// each answer is compared with what the real `git http-backend` (run as CGI on the same bare
// repository) answers to the same request — status, the headers git reads, and the body byte for
// byte — for protocol v2 and v0, ls-refs, a gzipped fetch, and a wrong content type.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GitHubStandIn, startGitHubStandIn } from "./github";

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

interface Ask {
  method: "GET" | "POST";
  path: "info/refs" | "git-upload-pack";
  query?: string;
  headers?: Record<string, string>;
  body?: Buffer;
}

/** The headers a git client reads from a smart-HTTP answer. */
const COMPARED = ["content-type", "cache-control", "expires", "pragma"];

let gh: GitHubStandIn;
let home: string;
let repoDir: string;

beforeAll(async () => {
  gh = await startGitHubStandIn();
  home = await mkdtemp(join(tmpdir(), "git-http-test-"));
  await gh.createRepo("acme", "lib", { "README.md": "# lib\n", "src/a.js": "export const a = 1;\n" });
  repoDir = (await gh.git("acme", "lib", "rev-parse", "--absolute-git-dir")).trim();
});
afterAll(async () => {
  await gh.close();
  await rm(home, { recursive: true, force: true });
});

function pkt(line: string): string {
  return `${(line.length + 4).toString(16).padStart(4, "0")}${line}`;
}

/**
 * A fetch answer's pkt-lines, the side-band's pack data (band 1) joined into one entry: how
 * upload-pack cuts the pack into packets depends on how its reads fall, what it sends does not.
 */
function packetsOf(body: Buffer): string[] {
  const lines: string[] = [];
  for (let at = 0; at < body.length; ) {
    const length = Number.parseInt(body.subarray(at, at + 4).toString("latin1"), 16);
    const payload = length > 4 ? body.subarray(at + 4, at + length).toString("latin1") : String(length);
    at += Math.max(length, 4);
    const last = lines.length - 1;
    if (payload.startsWith("\x01") && lines[last]?.startsWith("\x01")) lines[last] += payload.slice(1);
    else lines.push(payload);
  }
  return lines;
}

function picked(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(COMPARED.flatMap((k) => (headers[k] === undefined ? [] : [[k, headers[k]]])));
}

async function standIn(ask: Ask): Promise<Answer> {
  const url = `${gh.webUrl}/acme/lib.git/${ask.path}${ask.query ? `?${ask.query}` : ""}`;
  const response = await fetch(url, { method: ask.method, headers: ask.headers, body: ask.body });
  return {
    status: response.status,
    headers: picked(Object.fromEntries(response.headers)),
    body: Buffer.from(await response.arrayBuffer()),
  };
}

/** The same request answered by `git http-backend` as a CGI program, its output parsed. */
function httpBackend(ask: Ask): Promise<Answer> {
  const h = Object.fromEntries(Object.entries(ask.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const body = ask.body ?? Buffer.alloc(0);
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_PROJECT_ROOT: dirname(dirname(repoDir)),
    GIT_HTTP_EXPORT_ALL: "1",
    PATH_INFO: `/acme/lib.git/${ask.path}`,
    QUERY_STRING: ask.query ?? "",
    REQUEST_METHOD: ask.method,
    CONTENT_TYPE: h["content-type"] ?? "",
    CONTENT_LENGTH: String(body.length),
    SERVER_PROTOCOL: "HTTP/1.1",
    HTTP_GIT_PROTOCOL: h["git-protocol"] ?? "",
    HTTP_CONTENT_ENCODING: h["content-encoding"] ?? "",
  };
  return new Promise((resolve, reject) => {
    const child = spawn("git", ["http-backend"], { env, stdio: ["pipe", "pipe", "ignore"] });
    const out: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.on("error", reject);
    child.on("close", () => {
      const all = Buffer.concat(out);
      const end = all.indexOf("\r\n\r\n");
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of all.subarray(0, end).toString("latin1").split("\r\n")) {
        const colon = line.indexOf(":");
        const name = line.slice(0, colon).toLowerCase();
        const value = line.slice(colon + 1).trim();
        if (name === "status") status = Number.parseInt(value, 10);
        else headers[name] = value;
      }
      resolve({ status, headers: picked(headers), body: all.subarray(end + 4) });
    });
    child.stdin.end(body);
  });
}

const v2 = { "Git-Protocol": "version=2" };
const rpcType = { "Content-Type": "application/x-git-upload-pack-request" };

describe("git smart HTTP (upload-pack)", () => {
  it("answers every request as git http-backend does", async () => {
    const head = (await gh.git("acme", "lib", "rev-parse", "HEAD")).trim();
    // No progress: its packets are cut as the timing falls, the rest of the answer is deterministic.
    const fetchV2 = `${pkt("command=fetch\n")}0001${pkt("ofs-delta\n")}${pkt("no-progress\n")}${pkt(`want ${head}\n`)}${pkt("done\n")}0000`;
    const asks: Ask[] = [
      { method: "GET", path: "info/refs", query: "service=git-upload-pack", headers: v2 },
      { method: "GET", path: "info/refs", query: "service=git-upload-pack" },
      {
        method: "POST",
        path: "git-upload-pack",
        headers: { ...v2, ...rpcType },
        body: Buffer.from(
          `${pkt("command=ls-refs\n")}0001${pkt("symrefs\n")}${pkt("ref-prefix HEAD\n")}0000`,
        ),
      },
      {
        method: "POST",
        path: "git-upload-pack",
        headers: { ...v2, ...rpcType, "Content-Encoding": "gzip" },
        body: gzipSync(fetchV2),
      },
      {
        method: "POST",
        path: "git-upload-pack",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: Buffer.from("0000"),
      },
      { method: "GET", path: "git-upload-pack" },
    ];
    for (const ask of asks) {
      const [ours, reference] = [await standIn(ask), await httpBackend(ask)];
      const fetching = ask.headers?.["Content-Encoding"] === "gzip";
      const body = (a: Answer) => (fetching ? packetsOf(a.body) : a.body.toString("latin1"));
      expect({ ...ours, body: body(ours) }, `${ask.method} ${ask.path}`).toEqual({
        ...reference,
        body: body(reference),
      });
    }
  });

  it("serves a v2 clone and a v0 clone of the repository", async () => {
    const run = (args: string[]) =>
      new Promise<number | null>((resolve) => {
        const env = { PATH: process.env.PATH ?? "", HOME: home, GIT_CONFIG_NOSYSTEM: "1" };
        spawn("git", args, { env, stdio: "ignore" }).on("close", resolve);
      });
    for (const version of ["2", "0"]) {
      const dest = join(home, `clone-v${version}`);
      const url = `${gh.webUrl}/acme/lib.git`;
      expect(await run(["-c", `protocol.version=${version}`, "clone", "-q", url, dest])).toBe(0);
      expect(await run(["-C", dest, "cat-file", "-e", "HEAD:src/a.js"])).toBe(0);
    }
    expect(gh.gitCalls.filter((c) => c.status !== 200)).toEqual([]);
  });
});
