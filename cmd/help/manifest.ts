import type { HelpManifest } from './manifest-types.js';

/**
 * The command manifest. This committed stub only gives tsc its type: `npm run build` replaces its compiled
 * dist/cmd/help/manifest.js with the one scripts/gen-help.ts records from the command definitions, before the
 * bundle is made. Undefined (an unbuilt tree): help and completion take the yargs path.
 */
export const manifest: HelpManifest | undefined = undefined;
