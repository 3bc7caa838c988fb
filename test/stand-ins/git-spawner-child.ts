// The small process git-spawner.ts runs git through (plain Node, types stripped): forking this one
// is cheap, where forking the test process, hundreds of MB, stalls its event loop for tens of ms
// per git run. Requests are JSON lines `{ id, args, cwd, env, input }` (input base64); each answer
// is a JSON line `{ id, code, out, err, error? }` and then `out` bytes of stdout and `err` of stderr.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

interface Request {
  id: number;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  input: string;
}

let running = 0;
let ended = false;

function answer(id: number, code: number | null, out: Buffer, err: Buffer, error?: string): void {
  const head = `${JSON.stringify({ id, code, out: out.length, err: err.length, error })}\n`;
  process.stdout.write(Buffer.concat([Buffer.from(head), out, err]));
}

function finish(): void {
  running--;
  if (ended && running === 0) process.stdout.end();
}

function run(request: Request): void {
  running++;
  const child = spawn("git", request.args, {
    cwd: request.cwd,
    env: request.env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let failed: string | undefined;
  child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
  child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
  child.on("error", (error) => {
    failed = String(error);
  });
  child.on("close", (code) => {
    answer(request.id, code, Buffer.concat(out), Buffer.concat(err), failed);
    finish();
  });
  // git may exit before reading all of stdin (e.g. a bad object id); its exit code says so.
  child.stdin.on("error", () => undefined);
  child.stdin.end(Buffer.from(request.input, "base64"));
}

const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
lines.on("line", (line) => run(JSON.parse(line) as Request));
lines.on("close", () => {
  ended = true;
  if (running === 0) process.stdout.end();
});
