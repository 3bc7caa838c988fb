// A loopback URL nothing listens on: a port the OS just gave out and took back, so a connection
// to it is refused at once (the "host unreachable" case of a misconfigured base URL).
import { once } from "node:events";
import { createServer } from "node:net";

export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  await once(server, "close");
  if (!address || typeof address === "string") throw new Error("no port");
  return `http://127.0.0.1:${address.port}`;
}
