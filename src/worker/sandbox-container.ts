/**
 * The sandbox service as a Cloudflare Container (Dockerfile at the repo root), bound to this Worker
 * through the SandboxContainer Durable Object: one instance, started on first use with the Modal
 * backend and the service's secrets, and forwarded every request. Never imports `modal` itself.
 */
import { DurableObject } from "cloudflare:workers";

/** The port the service listens on inside the container (the Dockerfile's EXPOSE). */
export const SANDBOX_CONTAINER_PORT = 8788;
/** `SANDBOX_SERVICE_URL` value that routes the Worker's sandbox calls to the bound container. */
export const CONTAINER_SERVICE_URL = "http://sandbox-service.container";

/** Secrets and settings the container needs; optional because only a container deployment sets them. */
interface ContainerEnv {
  SANDBOX_SERVICE_TOKEN: string;
  MODAL_TOKEN_ID?: string;
  MODAL_TOKEN_SECRET?: string;
  MODAL_APP_NAME?: string;
  SANDBOX_IMAGE?: string;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_HEADERS?: string;
}

export class SandboxContainer extends DurableObject<Env> {
  /** Starts the service if it is not running, then forwards the request to it (retrying while it boots). */
  override async fetch(request: Request): Promise<Response> {
    const container = this.ctx.container;
    if (!container) return new Response("no container is bound to this Durable Object", { status: 503 });
    if (!container.running) {
      const env = this.env as unknown as ContainerEnv;
      const vars: Record<string, string> = {
        SANDBOX_BACKEND: "modal",
        SANDBOX_SERVICE_TOKEN: env.SANDBOX_SERVICE_TOKEN,
        HOST: "0.0.0.0",
        PORT: String(SANDBOX_CONTAINER_PORT),
      };
      for (const key of [
        "MODAL_TOKEN_ID",
        "MODAL_TOKEN_SECRET",
        "MODAL_APP_NAME",
        "SANDBOX_IMAGE",
        // The service exports its spans to the same collector (the collector's key, no job secret).
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_HEADERS",
      ] as const) {
        const value = env[key];
        if (value) vars[key] = value;
      }
      container.start({ env: vars, enableInternet: true });
    }
    const port = container.getTcpPort(SANDBOX_CONTAINER_PORT);
    for (let attempt = 0; ; attempt++) {
      try {
        return await port.fetch(request.clone());
      } catch (error) {
        // The service is still starting (connection refused): try again, for up to ~20 s.
        if (attempt >= 40) throw error;
        await scheduler.wait(500);
      }
    }
  }
}

/** A `fetch` that sends sandbox-service requests to the container when `SANDBOX_SERVICE_URL` names it. */
export function sandboxServiceFetch(env: Env): typeof fetch {
  if (!env.SANDBOX_SERVICE_URL.startsWith(CONTAINER_SERVICE_URL)) return (input, init) => fetch(input, init);
  const namespace = env.SANDBOX_CONTAINER;
  const stub = namespace.get(namespace.idFromName("sandbox-service"));
  return (input, init) => stub.fetch(new Request(input, init));
}
