// `npm run dev` itself, run in a scratch copy of the project (links to src, scripts and
// node_modules; its own wrangler.toml and .dev.vars.example with the sandbox service on a free
// port), so a test sees the first run write .dev.vars and never touches the real checkout's.
import { type ChildProcess, spawn } from "node:child_process";
import { copyFile, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { closedPortUrl } from "./closed-port";

const ROOT = resolve(import.meta.dirname, "../..");

export interface DevProject {
  dir: string;
  workerUrl: string;
  sandboxUrl: string;
  /** Starts `npm run dev` with `env` over this process's environment. */
  run(env?: Record<string, string>): DevRun;
  close(): Promise<void>;
}

export interface DevRun {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code once `npm run dev` has exited. */
  exited: Promise<number | null>;
}

const freePort = async () => Number(new URL(await closedPortUrl()).port);

export async function devProject(): Promise<DevProject> {
  const dir = await mkdtemp(join(tmpdir(), "e2e-npm-dev-"));
  const linked = ["src", "scripts", "node_modules", "package.json", "tsconfig.json", "tsconfig.worker.json"];
  // public/: the job page's assets, which wrangler.toml's [assets] serves.
  // migrations/: the job history's schema, which `npm run dev` applies to the local D1.
  for (const name of [...linked, "public", "Dockerfile", "migrations"]) {
    await symlink(join(ROOT, name), join(dir, name));
  }
  await copyFile(join(ROOT, "wrangler.toml"), join(dir, "wrangler.toml"));
  const [workerPort, inspectorPort, sandboxPort] = [await freePort(), await freePort(), await freePort()];
  const example = (await readFile(join(ROOT, ".dev.vars.example"), "utf8"))
    .replace(/^PORT=.*$/m, `PORT=${sandboxPort}`)
    .replace(/^SANDBOX_SERVICE_URL=.*$/m, `SANDBOX_SERVICE_URL=http://127.0.0.1:${sandboxPort}`);
  await writeFile(join(dir, ".dev.vars.example"), example);
  return {
    dir,
    workerUrl: `http://127.0.0.1:${workerPort}`,
    sandboxUrl: `http://127.0.0.1:${sandboxPort}`,
    run(env = {}) {
      const args = [
        "run",
        "dev",
        "--",
        "--port",
        String(workerPort),
        "--inspector-port",
        String(inspectorPort),
      ];
      const child = spawn("npm", args, {
        cwd: dir,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, ...env },
      });
      let output = "";
      child.stdout?.on("data", (d: Buffer) => {
        output += d.toString();
      });
      child.stderr?.on("data", (d: Buffer) => {
        output += d.toString();
      });
      const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
      return { child, output: () => output, exited };
    },
    async close() {
      // Whatever a failed test left running in the scratch project goes with it.
      for (const pid of await processesIn(dir)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // Exited meanwhile.
        }
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves once `url` answers 200, or throws with `why()` when `gone()` or a minute passes. */
export async function waitUntilServing(url: string, gone: () => boolean, why: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !gone()) {
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200)); // polling a child's readiness: nothing to await
  }
  throw new Error(`${url} never served:\n${why()}`);
}

/** Every process below `pid` (children, grandchildren, …), with its command line and environment. */
export async function descendants(pid: number): Promise<{ pid: number; cmdline: string; environ: string }[]> {
  const parents = new Map<number, number>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    // Fields after the parenthesised command name: state, then the parent's pid.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (ppid) parents.set(Number(entry), ppid);
  }
  const below = (p: number): boolean => {
    const parent = parents.get(p);
    return parent === pid || (parent !== undefined && parent > 1 && below(parent));
  };
  const found = [];
  for (const p of parents.keys()) {
    if (!below(p)) continue;
    const read = (what: string) => readFile(`/proc/${p}/${what}`, "utf8").catch(() => "");
    found.push({
      pid: p,
      cmdline: (await read("cmdline")).replaceAll("\0", " "),
      environ: await read("environ"),
    });
  }
  return found;
}

/** Processes whose working directory is inside `dir` (the ones `npm run dev` started there). */
async function processesIn(dir: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => "");
    if (cwd === dir || cwd.startsWith(`${dir}/`)) found.push(Number(entry));
  }
  return found;
}
