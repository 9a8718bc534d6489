import type { CommandDef } from '../define-command.js';

type Loader = () => Promise<{ default: unknown }>;

/**
 * Every top-level command by verb, in the order --help lists them. Each loads on its own, so a run imports
 * only the command it names (and the bundle keeps each in its own chunk).
 */
export const loaders: Readonly<Record<string, Loader>> = {
  // -- commands: pack build/validate
  build: () => import('./build.js'),
  validate: () => import('./validate.js'),
  // -- commands: inspect/install
  inspect: () => import('./inspect.js'),
  install: () => import('./install.js'),
  installed: () => import('./installed.js'),
  uninstall: () => import('./uninstall.js'),
  // -- commands: store (lead)
  ls: () => import('./ls.js'),
  gc: () => import('./gc.js'),
  check: () => import('./check.js'),
  tag: () => import('./tag.js'),
  rm: () => import('./rm.js'),
  // -- commands: save/load
  save: () => import('./save.js'),
  load: () => import('./load.js'),
  inventory: () => import('./inventory.js'),
  // -- commands: registry
  pull: () => import('./pull.js'),
  push: () => import('./push.js'),
  copy: () => import('./copy.js'),
  login: () => import('./login.js'),
  logout: () => import('./logout.js'),
  // -- commands: signatures
  sign: () => import('./sign.js'),
  verify: () => import('./verify.js'),
  attest: () => import('./attest.js'),
  'verify-attestation': () => import('./verify-attestation.js'),
  key: () => import('./key.js'),
  trust: () => import('./trust.js'),
  // -- commands: serve
  serve: () => import('./serve.js'),
  publish: () => import('./publish.js'),
  // -- commands: reconcile
  source: () => import('./source.js'),
  catalog: () => import('./catalog.js'),
  reconcile: () => import('./reconcile.js'),
  retire: () => import('./retire.js'),
  approve: () => import('./approve.js'),
  // -- commands: shell
  completion: () => import('./completion.js'),
};

/** The command a verb names, or undefined for a word that is no command. */
export async function loadCommand(verb: string): Promise<CommandDef<unknown> | undefined> {
  const load = Object.hasOwn(loaders, verb) ? loaders[verb] : undefined;
  return load ? ((await load()).default as CommandDef<unknown>) : undefined;
}

/** Every command (top-level help, an unknown or missing verb: yargs lists or suggests from all of them). */
export async function allCommands(): Promise<ReadonlyArray<CommandDef<unknown>>> {
  return Promise.all(Object.values(loaders).map(async (load) => (await load()).default as CommandDef<unknown>));
}
