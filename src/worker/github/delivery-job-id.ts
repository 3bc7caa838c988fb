/**
 * A webhook follow-up's job id is derived from its `X-GitHub-Delivery`, so a redelivery (GitHub's
 * "Redeliver" button, or its retry of a delivery that timed out) names the same job, which starts
 * only once (derived-job-id.ts, under the webhook secret).
 */
import { derivedJobId } from "../derived-job-id";

/** The job id of the delivery `deliveryId`. */
export function deliveryJobId(webhookSecret: string, deliveryId: string): Promise<string> {
  return derivedJobId(webhookSecret, `github-delivery:${deliveryId}`);
}
