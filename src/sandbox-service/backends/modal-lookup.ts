/**
 * Finding a job's Modal sandbox without holding it: by its name (sandboxName, unique per job in
 * the app) for one job, by the service's tag for all of them. A sandbox is only ever taken for a
 * job's when its tags say it is this service's and that job's. Also the two error helpers the
 * Modal backend shares.
 */
import { type App, type ModalClient, NotFoundError, type Sandbox } from "modal";
import type { OwnedSandbox } from "../../protocol/sandbox";
import { ServiceError } from "../errors";
import { sandboxName } from "../job-name";
import type { ModalBackendOptions } from "./modal-config";

/** The running sandbox named for `jobId` when it is this service's and that job's, else undefined. */
export async function findJobSandbox(
  client: ModalClient,
  options: Pick<ModalBackendOptions, "appName" | "serviceTag">,
  jobId: string,
): Promise<Sandbox | undefined> {
  let sandbox: Sandbox;
  try {
    sandbox = await client.sandboxes.fromName(options.appName, sandboxName(jobId));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw modalFailure(error);
  }
  const tags = await sandbox.getTags();
  if (tags.service === options.serviceTag && tags.jobId === jobId) return sandbox;
  sandbox.detach();
  return undefined;
}

/** Every running sandbox in `app` tagged with `serviceTag`, by job id. */
export async function listOwned(client: ModalClient, app: App, serviceTag: string): Promise<OwnedSandbox[]> {
  const found: OwnedSandbox[] = [];
  for await (const sandbox of client.sandboxes.list({ appId: app.appId, tags: { service: serviceTag } })) {
    const { jobId } = await sandbox.getTags();
    sandbox.detach();
    if (jobId) found.push({ id: jobId, jobId });
  }
  return found;
}

/** Modal's "no such sandbox", from the SDK's own error type or the raw gRPC status (5, NOT_FOUND). */
export function isNotFound(error: unknown): boolean {
  return error instanceof NotFoundError || (error as { code?: unknown } | null)?.code === 5;
}

/** Errors of our own pass through; anything from Modal is a retryable 503 naming what failed. */
export function modalFailure(error: unknown): unknown {
  if (error instanceof ServiceError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ServiceError(503, "modal unavailable", message.slice(0, 500), true);
}
