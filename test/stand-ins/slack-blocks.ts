// Slack's limits on a message, checked where Slack checks them (chat.postMessage, chat.update,
// chat.postEphemeral and response_url): `text` over 40,000 characters is `msg_too_long`, and
// Block Kit beyond its documented limits is `invalid_blocks` with Slack's `errors` list of
// "<problem> [json-pointer:<path>]" strings. Only the block and element types the bot uses (and
// the common ones beside them) are known; any other type is refused as Slack refuses unknown ones.

export type SlackRefusal = {
  ok: false;
  error: string;
  errors?: string[];
  response_metadata?: { messages: string[] };
};

export const LIMITS = {
  messageText: 40_000,
  blocks: 50,
  sectionText: 3_000,
  sectionFields: 10,
  fieldText: 2_000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2_000,
  actionId: 255,
  blockId: 255,
  url: 3_000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
} as const;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** What Slack answers a message with these arguments, or undefined when it takes it. */
export function checkMessage(args: Record<string, unknown>): SlackRefusal | undefined {
  if (typeof args.text === "string" && args.text.length > LIMITS.messageText) {
    return { ok: false, error: "msg_too_long" };
  }
  if (args.blocks === undefined) return undefined;
  if (!Array.isArray(args.blocks)) return { ok: false, error: "invalid_blocks_format" };
  const problems: string[] = [];
  const fail: Fail = (problem, pointer) => {
    problems.push(`${problem} [json-pointer:${pointer}]`);
    return undefined;
  };
  if (args.blocks.length > LIMITS.blocks) fail(`no more than ${LIMITS.blocks} items allowed`, "/blocks");
  else for (const [i, block] of args.blocks.entries()) checkBlock(block, `/blocks/${i}`, fail);
  if (problems.length === 0) return undefined;
  return {
    ok: false,
    error: "invalid_blocks",
    errors: problems,
    response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) },
  };
}

/** Records a problem; returns undefined so a check can `return fail(…)` and stop there. */
type Fail = (problem: string, pointer: string) => undefined;

function checkBlock(block: unknown, at: string, fail: Fail): undefined {
  if (!isObject(block)) return fail("must be an object", at);
  if (block.block_id !== undefined) checkString(block.block_id, LIMITS.blockId, `${at}/block_id`, fail);
  switch (block.type) {
    case "section": {
      if (block.text === undefined && block.fields === undefined) {
        return fail("must provide either text or fields", at);
      }
      if (block.text !== undefined) checkText(block.text, LIMITS.sectionText, `${at}/text`, fail);
      if (block.fields !== undefined) {
        const fields = block.fields;
        if (!Array.isArray(fields)) return fail("must be an array", `${at}/fields`);
        if (fields.length > LIMITS.sectionFields) {
          fail(`no more than ${LIMITS.sectionFields} items allowed`, `${at}/fields`);
        }
        for (const [i, f] of fields.entries()) checkText(f, LIMITS.fieldText, `${at}/fields/${i}`, fail);
      }
      if (block.accessory !== undefined) checkElement(block.accessory, `${at}/accessory`, fail);
      return;
    }
    case "header":
      return checkText(block.text, LIMITS.headerText, `${at}/text`, fail, true);
    case "context":
      return checkList(block.elements, LIMITS.contextElements, `${at}/elements`, fail, (e, p) =>
        isObject(e) && e.type === "image" ? undefined : checkText(e, LIMITS.sectionText, p, fail),
      );
    case "actions":
      return checkList(block.elements, LIMITS.actionsElements, `${at}/elements`, fail, (e, p) =>
        checkElement(e, p, fail),
      );
    case "divider":
    case "image":
    case "rich_text":
      return;
    default:
      return fail(`unsupported type: ${String(block.type)}`, `${at}/type`);
  }
}

function checkList(
  list: unknown,
  max: number,
  at: string,
  fail: Fail,
  each: (item: unknown, at: string) => undefined,
): undefined {
  if (!Array.isArray(list)) return fail("must be an array", at);
  if (list.length === 0) return fail("must contain at least 1 item", at);
  if (list.length > max) return fail(`no more than ${max} items allowed`, at);
  for (const [i, item] of list.entries()) each(item, `${at}/${i}`);
  return undefined;
}

function checkElement(element: unknown, at: string, fail: Fail): undefined {
  if (!isObject(element)) return fail("must be an object", at);
  if (element.type !== "button") return; // Other interactive elements: not used by the bot.
  checkText(element.text, LIMITS.buttonText, `${at}/text`, fail, true);
  checkString(element.action_id, LIMITS.actionId, `${at}/action_id`, fail, true);
  if (element.value !== undefined) checkString(element.value, LIMITS.buttonValue, `${at}/value`, fail);
  if (element.url !== undefined) checkString(element.url, LIMITS.url, `${at}/url`, fail);
  if (element.style !== undefined && element.style !== "primary" && element.style !== "danger") {
    fail("must be one of [primary, danger]", `${at}/style`);
  }
  const confirm = element.confirm;
  if (confirm === undefined) return;
  if (!isObject(confirm)) return fail("must be an object", `${at}/confirm`);
  checkText(confirm.title, LIMITS.confirmTitle, `${at}/confirm/title`, fail, true);
  checkText(confirm.text, LIMITS.confirmText, `${at}/confirm/text`, fail);
  checkText(confirm.confirm, LIMITS.confirmButton, `${at}/confirm/confirm`, fail, true);
  checkText(confirm.deny, LIMITS.confirmButton, `${at}/confirm/deny`, fail, true);
}

/** A text object: `plain_text` (or, unless `plainOnly`, `mrkdwn`) of 1 to `max` characters. */
function checkText(text: unknown, max: number, at: string, fail: Fail, plainOnly = false): undefined {
  if (!isObject(text)) return fail("must be an object", at);
  const types = plainOnly ? ["plain_text"] : ["plain_text", "mrkdwn"];
  if (typeof text.type !== "string" || !types.includes(text.type)) {
    return fail(`must be one of [${types.join(", ")}]`, `${at}/type`);
  }
  checkString(text.text, max, `${at}/text`, fail, true);
}

function checkString(value: unknown, max: number, at: string, fail: Fail, required = false): undefined {
  if (typeof value !== "string") return fail(required ? "is required" : "must be a string", at);
  if (required && value.length === 0) return fail("must be more than 0 characters", at);
  if (value.length > max) fail(`must be less than ${max + 1} characters`, at);
  else if (hasLoneSurrogate(value)) fail("must be valid UTF-16 (a lone surrogate)", at);
}

// Without the `u` flag the pattern sees UTF-16 code units, so it finds half of a split pair.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `text` holds half a surrogate pair (a string cut in the middle of a character). */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}
