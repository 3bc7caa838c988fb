// The real sandbox service process (`src/sandbox-service/server.ts` under tsx) for tests of what
// only the process does: reading its environment, JSON logs, and what SIGTERM leaves behind.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";

export interface ServerProcess {
  child: ChildProcess;
  output(): string;
}

/** Starts the service with exactly `env` (plus PATH). */
export function startServer(env: Record<string, string>): ServerProcess {
  let output = "";
  const child = spawn(process.execPath, ["--import", "tsx", "src/sandbox-service/server.ts"], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  return { child, output: () => output };
}

/** Resolves once the output holds `text`; throws when the process exits first. */
export async function waitForLine(server: ServerProcess, text: string): Promise<void> {
  while (!server.output().includes(text)) {
    if (server.child.exitCode !== null) throw new Error(`server exited: ${server.output()}`);
    await once(server.child.stdout ?? server.child, "data");
  }
}

/** The URL the service logged when it started listening. */
export async function listeningUrl(server: ServerProcess): Promise<string> {
  await waitForLine(server, "sandbox service listening");
  return /"url":"([^"]+)"/.exec(server.output())?.[1] ?? "";
}
