// A loopback front for the sandbox service that shows the test every request the Worker sends it
// (method, path, headers, body) and waits for the test's hook before forwarding it unchanged — to
// see what crosses the Worker → service boundary, and to act at an exact moment (during a clone).
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface TappedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type ServiceHook = (request: TappedRequest) => Promise<void> | void;

export interface ServiceTap {
  url: string;
  /** Every request seen, in arrival order. */
  seen: TappedRequest[];
  close(): Promise<void>;
}

/** Starts the tap in front of `target` (the sandbox service's URL). */
export async function startServiceTap(target: string, hook: ServiceHook): Promise<ServiceTap> {
  const seen: TappedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const body = Buffer.concat(chunks);
      const tapped = {
        method: req.method ?? "GET",
        path: req.url ?? "/",
        headers: req.headers,
        body: body.toString(),
      };
      seen.push(tapped);
      try {
        await hook(tapped);
        const headers = new Headers();
        for (const [name, value] of Object.entries(req.headers))
          if (typeof value === "string" && !["host", "connection", "content-length"].includes(name))
            headers.set(name, value);
        const answer = await fetch(new URL(tapped.path, target), {
          method: tapped.method,
          headers,
          body: body.length > 0 ? body : undefined,
        });
        res.writeHead(answer.status, Object.fromEntries(answer.headers));
        res.end(Buffer.from(await answer.arrayBuffer()));
      } catch (error) {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end(`service tap: ${String(error)}`);
      }
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
