// The real sandbox service app behind an HTTP server the test can take down and bring back on the
// same port, while its backend (and so its sandboxes) lives on — as when the service restarts in
// front of Modal, or the network to it drops for a while.
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { createServiceApp } from "../../src/sandbox-service/app";
import type { Backend } from "../../src/sandbox-service/backends/types";
import { silentLogger } from "../../src/sandbox-service/log";

export interface FlakyService {
  url: string;
  /** Stops listening and drops every open connection. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

/** Serves the sandbox service for `backend` with `token` on a free loopback port. */
export async function startFlakyService(backend: Backend, token: string): Promise<FlakyService> {
  const listener = getRequestListener(createServiceApp({ backend, token, log: silentLogger }).fetch);
  let server: Server | null = null;
  let port = 0;
  const up = async () => {
    if (server) return;
    const next = createServer(listener);
    next.listen(port, "127.0.0.1");
    await once(next, "listening");
    port = (next.address() as AddressInfo).port;
    server = next;
  };
  const down = async () => {
    const current = server;
    if (!current) return;
    server = null;
    const closed = new Promise<void>((resolve) => current.close(() => resolve()));
    current.closeAllConnections();
    await closed;
  };
  await up();
  return {
    url: `http://127.0.0.1:${port}`,
    down,
    up,
    async close() {
      await down();
      await backend.close();
    },
  };
}
