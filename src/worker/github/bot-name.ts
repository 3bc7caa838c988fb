/**
 * The name PR comments call the bot by: GITHUB_BOT_MENTION when set, else who the credentials say
 * the bot is — the token's login (`users.getAuthenticated`) or the App's slug
 * (`apps.getAuthenticated`). Looked up once per isolate and configuration: an entry is never
 * changed, a new configuration is a new key (the token enters it only as a digest), and a failed
 * lookup is forgotten so the next delivery asks again.
 */
import { appClient, type GitHubConfig, gitHubClient } from "./client";

const known = new Map<string, Promise<string>>();

async function keyOf(github: GitHubConfig): Promise<string> {
  const secret = github.app ? `app:${github.app.appId}` : `token:${github.token ?? ""}`;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret));
  const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  return `${github.apiUrl} ${hex}`;
}

async function lookUp(github: GitHubConfig): Promise<string> {
  if (github.app) {
    const { data } = await appClient(github.app, github).rest.apps.getAuthenticated();
    // GitHub documents the slug as optional; an App always has one.
    if (!data?.slug) throw new Error("GitHub answered GET /app without the App's slug");
    return data.slug;
  }
  const { data } = await gitHubClient(github, github.token).rest.users.getAuthenticated();
  return data.login;
}

/** The bot's name for mentions (without `@`). */
export async function botName(github: GitHubConfig, configured: string | null): Promise<string> {
  if (configured) return configured;
  const key = await keyOf(github);
  let name = known.get(key);
  if (!name) {
    name = lookUp(github);
    known.set(key, name);
    name.catch(() => {
      // Only this failed lookup is dropped; the next delivery tries again.
      if (known.get(key) === name) known.delete(key);
    });
  }
  return name;
}
