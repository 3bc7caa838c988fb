/**
 * The Dev Container spec's lifecycle command forms: a string runs in a shell (`/bin/sh -c`), an
 * array is argv run as it is, and an object names commands (each a string or an array) that run
 * in parallel. Each form becomes a list of processes; an empty string or array is no command.
 */

/** One process of a lifecycle command. */
export interface SetupCommand {
  /** The object form's key; absent for the string and array forms. */
  name?: string;
  argv: string[];
}

/** The spec's lifecycle hooks this deployment runs, in the order it runs them. */
export const LIFECYCLE_HOOKS = ["onCreateCommand", "updateContentCommand", "postCreateCommand"] as const;
export type LifecycleHook = (typeof LIFECYCLE_HOOKS)[number];

/** A hook's value as processes; a string naming what is wrong with it when it has no valid form. */
export function lifecycleCommands(value: unknown, field: string): SetupCommand[] | string {
  if (value === undefined || value === null) return [];
  if (typeof value === "string" || Array.isArray(value)) {
    const command = oneCommand(value, field);
    return typeof command === "string" ? command : command ? [command] : [];
  }
  if (typeof value !== "object") return `${field} must be a string, an array of strings or an object`;
  const commands: SetupCommand[] = [];
  for (const [name, entry] of Object.entries(value)) {
    const command = oneCommand(entry, `${field}.${name}`);
    if (typeof command === "string") return command;
    if (command) commands.push({ name, argv: command.argv });
  }
  return commands;
}

/** A string or array form as one process (null when empty); a problem when it is neither. */
function oneCommand(value: unknown, field: string): SetupCommand | null | string {
  if (typeof value === "string") return value.trim() === "" ? null : { argv: ["/bin/sh", "-c", value] };
  if (Array.isArray(value)) {
    if (!value.every((part): part is string => typeof part === "string")) {
      return `${field} must be an array of strings`;
    }
    return value.length === 0 ? null : { argv: value };
  }
  return `${field} must be a string, an array of strings or an object`;
}

/** How a command is shown (a step's input): the shell text itself, or argv quoted as a shell would. */
export function commandText(command: SetupCommand): string {
  const [first, second, third] = command.argv;
  const text =
    first === "/bin/sh" && second === "-c" && command.argv.length === 3 && third !== undefined
      ? third
      : command.argv.map(shellQuote).join(" ");
  return command.name ? `${command.name}: ${text}` : text;
}

function shellQuote(part: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(part) ? part : `'${part.replaceAll("'", "'\\''")}'`;
}
