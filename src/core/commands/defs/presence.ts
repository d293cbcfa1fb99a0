import type { CommandContext } from "../context.js";
import type { CommandDef } from "../types.js";

export const presenceCommands: CommandDef<CommandContext>[] = [];
