import type { CommandDef } from '../define-command.js';
// -- imports: store (lead)
import check from './check.js';
import gc from './gc.js';
import ls from './ls.js';
import rm from './rm.js';
import tag from './tag.js';
// -- imports: pack build/validate
import build from './build.js';
import validate from './validate.js';
// -- imports: inspect/install
import inspect from './inspect.js';
import install from './install.js';
import installed from './installed.js';
import uninstall from './uninstall.js';
// -- imports: save/load
import inventory from './inventory.js';
import load from './load.js';
import save from './save.js';
// -- imports: registry
import copy from './copy.js';
import login from './login.js';
import logout from './logout.js';
import pull from './pull.js';
import push from './push.js';
// -- imports: signatures
import key from './key.js';
import sign from './sign.js';
import verify from './verify.js';
// -- imports: serve
import serve from './serve.js';
import trust from './trust.js';
// -- imports: reconcile
import approve from './approve.js';
import reconcile from './reconcile.js';
import retire from './retire.js';
import source from './source.js';

/** Every top-level command, in the order --help lists them. */
export const commands = [
  // -- commands: pack build/validate
  build,
  validate,
  // -- commands: inspect/install
  inspect,
  install,
  installed,
  uninstall,
  // -- commands: store (lead)
  ls,
  gc,
  check,
  tag,
  rm,
  // -- commands: save/load
  save,
  load,
  inventory,
  // -- commands: registry
  pull,
  push,
  copy,
  login,
  logout,
  // -- commands: signatures
  sign,
  verify,
  key,
  trust,
  // -- commands: serve
  serve,
  // -- commands: reconcile
  source,
  reconcile,
  retire,
  approve,
] as unknown as ReadonlyArray<CommandDef<unknown>>;
