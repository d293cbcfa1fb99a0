/** Every command jabterm has, declared once. */
import type { CommandContext } from "../context.js";
import { CommandRegistry } from "../registry.js";
import type { CommandDef } from "../types.js";
import { accountCommand, passwordCommand } from "./account.js";
import { connectCommand, disconnectCommand } from "./connection.js";
import { helpCommand, quitCommand } from "./general.js";
import { chatCommands } from "./chat.js";
import { msgCommand } from "./messaging.js";
import { mucCommands } from "./muc.js";
import { presenceCommands } from "./presence.js";
import { rosterCommands } from "./roster.js";
import { windowCommands } from "./windows.js";

export const COMMANDS: readonly CommandDef<CommandContext>[] = [
  accountCommand,
  passwordCommand,
  connectCommand,
  disconnectCommand,
  msgCommand,
  ...chatCommands,
  ...mucCommands,
  ...rosterCommands,
  ...presenceCommands,
  ...windowCommands,
  helpCommand,
  quitCommand,
];

export function createRegistry(): CommandRegistry<CommandContext> {
  return new CommandRegistry<CommandContext>(COMMANDS);
}
