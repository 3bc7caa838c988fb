/**
 * The Modal backend's readiness proof: one authenticated control-plane call, a lookup of the
 * backend's app. It creates nothing (an app that does not exist yet is fine: the first sandbox
 * creates it) and builds no image, so it is cheap enough for a health probe, yet Modal answers it
 * only for valid credentials. Refused credentials and an unreachable Modal are told apart.
 */
import { type ModalClient, NotFoundError } from "modal";
import { ServiceError } from "../errors";

/** gRPC status codes (the SDK's transport, nice-grpc, reports them as `code`). */
const UNAUTHENTICATED = 16;
const PERMISSION_DENIED = 7;

function notReady(detail: string): ServiceError {
  return new ServiceError(503, "backend not ready", detail, true);
}

/** Resolves when Modal accepts the client's credentials; throws a 503 `ServiceError` saying why not. */
export async function proveModalCredentials(client: ModalClient, appName: string): Promise<void> {
  try {
    await client.apps.fromName(appName, { createIfMissing: false });
  } catch (error) {
    // Modal looked for the app, so it took the credentials.
    if (error instanceof NotFoundError) return;
    const code = (error as { code?: unknown } | null)?.code;
    if (code === UNAUTHENTICATED || code === PERMISSION_DENIED)
      throw notReady("Modal credentials were refused (MODAL_TOKEN_ID / MODAL_TOKEN_SECRET)");
    const message = error instanceof Error ? error.message : String(error);
    throw notReady(`Modal API unavailable: ${message.slice(0, 300)}`);
  }
}
