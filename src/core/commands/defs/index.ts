/** Every command jabterm has, declared once. */
import type { JabtermClient } from "../../client.js";
import { aliasCommands } from "../../scripting/aliases.js";
import type { CommandContext } from "../context.js";
import { CommandRegistry } from "../registry.js";
import type { CommandDef } from "../types.js";
import { accountCommand, passwordCommand } from "./account.js";
import { connectCommand, disconnectCommand } from "./connection.js";
import { helpCommand, quitCommand } from "./general.js";
import { historyCommand, mamCommand, searchCommand } from "./history.js";
import { chatCommands } from "./chat.js";
import { msgCommand } from "./messaging.js";
import { pgpCommand } from "./pgp.js";
import { mucCommands } from "./muc.js";
import { presenceCommands } from "./presence.js";
import { rosterCommands } from "./roster.js";
import { windowCommands } from "./windows.js";
import { scriptingCommands } from "./scripting.js";

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
  pgpCommand,
  ...windowCommands,
  searchCommand,
  historyCommand,
  mamCommand,
  ...scriptingCommands,
  helpCommand,
  quitCommand,
];

/** The registry; with a client, the user's aliases (from its config) are commands too. */
export function createRegistry(client?: JabtermClient): CommandRegistry<CommandContext> {
  const registry = new CommandRegistry<CommandContext>(COMMANDS);
  if (client) registry.setExtra(() => aliasCommands(client));
  return registry;
}
