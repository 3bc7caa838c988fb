// Git's smart HTTP protocol for the GitHub stand-in. A clone's and a fetch's requests (the
// upload-pack advertisement and RPC) are answered by `git upload-pack --stateless-rpc` itself,
// exactly as `git http-backend` would answer them (the same headers, the v0 service line, the 415
// for a wrong content type, gzip bodies) but without the CGI program between; everything else
// (pushes, the dumb protocol, wrong methods) goes through the real `git http-backend` as CGI.
import { spawn } from "node:child_process";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { gitEnv } from "./git-cli";

/** `/owner/repo(.git)/<git service path>` split into its parts, or undefined for other paths. */
export function parseGitPath(pathname: string): { owner: string; repo: string; rest: string } | undefined {
  const match =
    /^\/([^/]+)\/([^/]+?)(?:\.git)?\/(info\/refs|git-upload-pack|git-receive-pack|HEAD|objects\/.+)$/.exec(
      pathname,
    );
  if (!match) return undefined;
  return { owner: match[1] ?? "", repo: match[2] ?? "", rest: match[3] ?? "" };
}

export interface CgiRequest {
  projectRoot: string;
  home: string;
  /** Path below the project root, e.g. `/owner/repo.git/info/refs`. */
  pathInfo: string;
  query: string;
  body: Buffer;
  /** Set for authenticated requests; git http-backend then allows pushes. */
  remoteUser?: string;
}

/** http-backend's `hdr_nocache()`: every smart-HTTP answer carries it. */
const NO_CACHE = {
  Expires: "Fri, 01 Jan 1980 00:00:00 GMT",
  Pragma: "no-cache",
  "Cache-Control": "no-cache, max-age=0, must-revalidate",
};
const REQUEST_TYPE = "application/x-git-upload-pack-request";

/** Answers one smart-HTTP request: upload-pack directly, anything else through `git http-backend`. */
export function serveGitHttp(req: IncomingMessage, res: ServerResponse, cgi: CgiRequest): Promise<void> {
  const target = /^(\/.+\.git)\/(info\/refs|git-upload-pack)$/.exec(cgi.pathInfo);
  const service = new URLSearchParams(cgi.query).getAll("service").at(-1);
  const repoDir = target?.[1] ? join(cgi.projectRoot, target[1]) : undefined;
  if (repoDir && req.method === "GET" && target?.[2] === "info/refs" && service === "git-upload-pack")
    return advertise(req, res, cgi, repoDir);
  if (repoDir && req.method === "POST" && target?.[2] === "git-upload-pack")
    return rpc(req, res, cgi, repoDir);
  return serveCgi(req, res, cgi);
}

function headerOf(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(", ") : (value ?? "");
}

/** git's `determine_protocol_version_server()`: v2 when any `version=` item of Git-Protocol says 2. */
function wantsV2(gitProtocol: string): boolean {
  return gitProtocol.split(":").includes("version=2");
}

/** `GET info/refs?service=git-upload-pack`: the ref (v0) or capability (v2) advertisement. */
function advertise(
  req: IncomingMessage,
  res: ServerResponse,
  cgi: CgiRequest,
  repoDir: string,
): Promise<void> {
  const protocol = headerOf(req, "git-protocol");
  res.writeHead(200, { ...NO_CACHE, "Content-Type": "application/x-git-upload-pack-advertisement" });
  // Protocol v0 starts with the service line; v2 with the capabilities themselves.
  if (!wantsV2(protocol)) res.write("001e# service=git-upload-pack\n0000");
  return uploadPack(res, cgi, protocol, ["--advertise-refs", repoDir], Buffer.alloc(0));
}

/** `POST git-upload-pack`: ls-refs and fetch (v2), or the v0 negotiation and pack. */
function rpc(req: IncomingMessage, res: ServerResponse, cgi: CgiRequest, repoDir: string): Promise<void> {
  const type = headerOf(req, "content-type");
  if (type !== REQUEST_TYPE) {
    res.writeHead(415, "Unsupported Media Type", NO_CACHE);
    res.end(`Expected POST with Content-Type '${REQUEST_TYPE}', but received '${type}' instead.\n`);
    return Promise.resolve();
  }
  // http-backend inflates exactly these two encodings and passes any other through as it is.
  const encoding = headerOf(req, "content-encoding");
  let input = cgi.body;
  if (encoding === "gzip" || encoding === "x-gzip") {
    try {
      input = gunzipSync(cgi.body);
    } catch (error) {
      res.writeHead(500, "Internal Server Error", NO_CACHE);
      res.end(`fatal: zlib error inflating request: ${String(error)}\n`);
      return Promise.resolve();
    }
  }
  res.writeHead(200, { ...NO_CACHE, "Content-Type": "application/x-git-upload-pack-result" });
  return uploadPack(res, cgi, headerOf(req, "git-protocol"), [repoDir], input);
}

/** Runs `git upload-pack --stateless-rpc …` with `input` and streams its answer into `res`. */
function uploadPack(
  res: ServerResponse,
  cgi: CgiRequest,
  protocol: string,
  args: string[],
  input: Buffer,
): Promise<void> {
  const env = gitEnv(cgi.home, { GIT_PROTOCOL: protocol });
  return new Promise((resolve, reject) => {
    const child = spawn("git", ["upload-pack", "--stateless-rpc", ...args], {
      env,
      stdio: ["pipe", "pipe", "ignore"],
    });
    child.stdout.pipe(res);
    child.on("error", reject);
    // After the headers, a failure can only cut the answer short, as with http-backend.
    child.on("close", () => resolve());
    child.stdin.on("error", () => undefined); // It may stop reading early; its exit status tells.
    child.stdin.end(input);
  });
}

/** Runs `git http-backend` for one request and relays its CGI answer (status, headers, body). */
function serveCgi(req: IncomingMessage, res: ServerResponse, cgi: CgiRequest): Promise<void> {
  const header = (name: string) => headerOf(req, name);
  const env = gitEnv(cgi.home, {
    GIT_PROJECT_ROOT: cgi.projectRoot,
    GIT_HTTP_EXPORT_ALL: "1",
    PATH_INFO: cgi.pathInfo,
    QUERY_STRING: cgi.query,
    REQUEST_METHOD: req.method ?? "GET",
    CONTENT_TYPE: header("content-type"),
    CONTENT_LENGTH: String(cgi.body.length),
    REMOTE_ADDR: req.socket.remoteAddress ?? "127.0.0.1",
    SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
    GATEWAY_INTERFACE: "CGI/1.1",
    HTTP_GIT_PROTOCOL: header("git-protocol"),
    HTTP_CONTENT_ENCODING: header("content-encoding"),
    ...(cgi.remoteUser ? { REMOTE_USER: cgi.remoteUser } : {}),
  });
  return new Promise((resolve, reject) => {
    const child = spawn("git", ["http-backend"], { env, stdio: ["pipe", "pipe", "pipe"] });
    let head = Buffer.alloc(0);
    let started = false;
    const stderr: Buffer[] = [];
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.stdout.on("data", (chunk: Buffer) => {
      if (started) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = headerEnd(head);
      if (!end) return;
      started = true;
      writeCgiHead(res, head.subarray(0, end.at).toString("latin1"));
      res.write(head.subarray(end.at + end.length));
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (!started) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(`git http-backend exited ${code}: ${Buffer.concat(stderr).toString("utf8")}`);
      } else res.end();
      resolve();
    });
    child.stdin.on("error", () => undefined); // It may stop reading early; its exit status tells.
    child.stdin.end(cgi.body);
  });
}

function headerEnd(buf: Buffer): { at: number; length: number } | undefined {
  const crlf = buf.indexOf("\r\n\r\n");
  const lf = buf.indexOf("\n\n");
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) return { at: crlf, length: 4 };
  if (lf >= 0) return { at: lf, length: 2 };
  return undefined;
}

function writeCgiHead(res: ServerResponse, block: string): void {
  let status = 200;
  let reason: string | undefined;
  const headers: Record<string, string> = {};
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === "status") {
      status = Number.parseInt(value, 10);
      reason = value.replace(/^\d+\s*/, "") || undefined;
    } else headers[name] = value;
  }
  res.writeHead(status, reason, headers);
}
