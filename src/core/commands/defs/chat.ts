import type { CommandContext } from "../context.js";
import type { CommandDef } from "../types.js";

export const chatCommands: CommandDef<CommandContext>[] = [];
