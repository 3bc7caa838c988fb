/**
 * The mention grammar of PR comments: `@<bot> <prompt>` anywhere in a comment or a review's body
 * asks for a follow-up, the prompt being the text with the mention taken out. GitHub logins are
 * case-insensitive; an App is called `@<slug>` or `@<slug>[bot]`. A mention inside a quote (`> …`,
 * someone replying to an earlier request) or in code does not count: it names the bot, it does not
 * ask it anything.
 */

/** The `@name` forms that call the bot (its login, or an App's slug and `slug[bot]`). */
export function mentionNames(name: string): string[] {
  const bare = name.replace(/\[bot\]$/i, "");
  return [...new Set([bare, `${bare}[bot]`])];
}

function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** `@name` not inside a word or an e-mail address, and not followed by more of a login. */
function mentionSource(names: string[]): string {
  // Longest first, so `@bot[bot]` is taken whole rather than as `@bot` followed by `[bot]`.
  const alternatives = [...names].sort((a, b) => b.length - a.length).map(literal);
  return `(?<![\\w@.\`-])@(?:${alternatives.join("|")})(?![\\w-]|\\[bot\\])`;
}

/** The comment's lines that speak for its author: fenced code blocks and quoted lines left out. */
function ownLines(body: string): string[] {
  const lines: string[] = [];
  let fenced = false;
  for (const line of body.split(/\r?\n/)) {
    if (/^\s{0,3}(```|~~~)/.test(line)) {
      fenced = !fenced;
      continue;
    }
    if (fenced || /^\s{0,3}>/.test(line)) continue;
    // Inline code spans name things; they do not address anyone.
    lines.push(line.replace(/`[^`]*`/g, ""));
  }
  return lines;
}

/**
 * The prompt `body` asks the bot for, or null when it does not mention the bot (outside quotes and
 * code). Every mention is taken out; what remains is trimmed. An empty string means a bare mention.
 */
export function promptOf(body: string | null | undefined, botName: string): string | null {
  if (!body) return null;
  const source = mentionSource(mentionNames(botName));
  const mention = new RegExp(source, "i");
  if (!ownLines(body).some((line) => mention.test(line))) return null;
  // The mention and the comma, colon and spaces that follow it (`@bot, please …`).
  return body.replace(new RegExp(`${source}[,:]?[ \\t]*`, "gi"), "").trim();
}
