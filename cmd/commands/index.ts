import type { CommandDef } from '../define-command.js';
import rm from './rm.js';
import tag from './tag.js';

/** Every top-level command, in the order --help lists them. */
export const commands = [
  tag,
  rm,
] as unknown as ReadonlyArray<CommandDef<unknown>>;
