// Git's smart HTTP protocol for the GitHub stand-in, served by the real `git http-backend` as a CGI
// program: clones and fetches (partial clones included) go through git's own server code.
import { spawn } from "node:child_process";
import type { IncomingMessage, ServerResponse } from "node:http";
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

/** Runs `git http-backend` for one request and relays its CGI answer (status, headers, body). */
export function serveGitHttp(req: IncomingMessage, res: ServerResponse, cgi: CgiRequest): Promise<void> {
  const header = (name: string) => {
    const value = req.headers[name];
    return Array.isArray(value) ? value.join(", ") : (value ?? "");
  };
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
