/**
 * What main.ts answers from the build's command manifest alone, with no command module and no yargs: a plain
 * help request and the completion scripts' `__complete`. One module, so both load one chunk beside the entry.
 */
export { completeLine } from './completion/complete-line.js';
export { fastHelp } from './help/fast-help.js';
