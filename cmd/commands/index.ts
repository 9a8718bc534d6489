import type { CommandDef } from '../define-command.js';
// -- imports: store (lead)
import check from './check.js';
import gc from './gc.js';
import rm from './rm.js';
import tag from './tag.js';
// -- imports: pack build/validate
// -- imports: inspect/install
// -- imports: save/load

/** Every top-level command, in the order --help lists them. */
export const commands = [
  // -- commands: pack build/validate
  // -- commands: inspect/install
  // -- commands: store (lead)
  gc,
  check,
  tag,
  rm,
  // -- commands: save/load
] as unknown as ReadonlyArray<CommandDef<unknown>>;
