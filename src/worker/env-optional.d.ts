// Secrets a deployment may leave unset, so wrangler's required-secrets list cannot name them.
interface Env {
  /** PEM private key of the GitHub App named by GITHUB_APP_ID. */
  GITHUB_APP_PRIVATE_KEY?: string;
  /** Tokens (`name:token`, comma-separated) that read every tenant's job history. */
  ADMIN_API_TOKENS?: string;
  /** Headers for the OTLP collector (`k=v,k2=v2`, an API key, say); only with OTEL_EXPORTER_OTLP_ENDPOINT. */
  OTEL_EXPORTER_OTLP_HEADERS?: string;
  /** The secret GitHub signs webhook deliveries with (X-Hub-Signature-256); unset: no webhook. */
  GITHUB_WEBHOOK_SECRET?: string;
}
