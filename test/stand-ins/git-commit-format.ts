// Commit objects byte for byte as `git commit-tree` writes them (GIT_AUTHOR_*/GIT_COMMITTER_* set,
// the message on stdin with -F -): tree, parents (a repeated one once), author and committer as
// `Name <email> <epoch> +0000` with git's "crud" trimmed, a blank line, the message exactly as given.
// Inputs where git would do more (refuse a name or a date it cannot parse, rewrite bytes it
// takes for Latin-1) are answered undefined, and the caller runs git for them.
export interface CommitFields {
  tree: string;
  parents: readonly string[];
  message: string;
  author: { name: string; email: string; date: string };
  committer: { name: string; email: string; date: string };
}

/** Epoch seconds git reads back as given from `<epoch> +0000` (9 digits or more, before 2100). */
const FIRST_EPOCH = 100_000_000;
const END_EPOCH = Date.UTC(2100, 0, 1) / 1000;

/** ident.c's `crud()`: bytes trimmed from both ends of a name or email. */
function isCrud(byte: number): boolean {
  return byte <= 32 || `.,:;<>"\\'`.includes(String.fromCharCode(byte));
}

/** ident.c's `strbuf_addstr_without_crud`: trim crud from both ends, drop `\n`, `<` and `>`. */
function withoutCrud(text: string): Buffer {
  const bytes = Buffer.from(text, "utf8");
  let start = 0;
  let end = bytes.length;
  while (start < end && isCrud(bytes[start] as number)) start++;
  while (end > start && isCrud(bytes[end - 1] as number)) end--;
  return Buffer.from(bytes.subarray(start, end).filter((b) => b !== 0x0a && b !== 0x3c && b !== 0x3e));
}

/**
 * Text commit-tree keeps byte for byte: no NUL (it ends C strings), no lone surrogate (how it would
 * reach git is the encoder's choice), no code point git's `find_invalid_utf8` refuses (U+xxFFFE,
 * U+xxFFFF, U+FDD0..U+FDEF), which it would re-encode as Latin-1.
 */
function keptAsIs(text: string): boolean {
  if (text.includes("\0") || !text.isWellFormed()) return false;
  for (const char of text) {
    const cp = char.codePointAt(0) ?? 0;
    if ((cp & 0xfffe) === 0xfffe || (cp >= 0xfdd0 && cp <= 0xfdef)) return false;
  }
  return true;
}

function identLine(
  role: "author" | "committer",
  who: { name: string; email: string; date: string },
): Buffer | undefined {
  const epoch = Math.floor(Date.parse(who.date) / 1000);
  if (!(epoch >= FIRST_EPOCH && epoch < END_EPOCH)) return undefined;
  if (!keptAsIs(who.name) || !keptAsIs(who.email)) return undefined;
  // commit-tree refuses a name of nothing but crud ("name consists only of disallowed
  // characters"); an email that is all crud is written as `<>`.
  const name = withoutCrud(who.name);
  if (name.length === 0) return undefined;
  return Buffer.concat([
    Buffer.from(`${role} `),
    name,
    Buffer.from(" <"),
    withoutCrud(who.email),
    Buffer.from(`> ${epoch} +0000\n`),
  ]);
}

/** The commit object commit-tree would write, or undefined when only git can say. */
export function encodeCommit(fields: CommitFields): Buffer | undefined {
  const author = identLine("author", fields.author);
  const committer = identLine("committer", fields.committer);
  if (!author || !committer || !keptAsIs(fields.message)) return undefined;
  const parents = [...new Set(fields.parents)].map((p) => `parent ${p}\n`).join("");
  return Buffer.concat([
    Buffer.from(`tree ${fields.tree}\n${parents}`),
    author,
    committer,
    Buffer.from(`\n${fields.message}`, "utf8"),
  ]);
}
