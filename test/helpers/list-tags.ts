import { isScrydonError } from '../../src/errors.js';
import { OPEN_GATE } from '../../src/registry/gate.js';
import { Remote } from '../../src/registry/remote.js';
import { RegistrySettings } from '../../src/registry/settings.js';

/**
 * `node list-tags.js HOST/REPO [LIMITS-JSON]`: lists a repository's tags through scrydon's registry client (no
 * command lists a registry's tags), as a process of its own so a test can measure its peak RSS. Prints the
 * count, or `error[code]: message` and `hint: …` on stderr with exit 1, as the CLI does.
 */
const [ref = '', limits = '{}'] = process.argv.slice(2);
const slash = ref.indexOf('/');
const host = ref.slice(0, slash);
const remote = new Remote({
  settings: new RegistrySettings().withFlags({ plainHttp: true }, [host]),
  credentials: { authFiles: [] },
  gate: OPEN_GATE,
});
try {
  const tags = await remote.repository(ref).tags({ walkLimits: JSON.parse(limits) as Record<string, number> });
  process.stdout.write(`${JSON.stringify({ tags: tags.length })}\n`);
} catch (e) {
  process.stderr.write(
    isScrydonError(e) ? `error[${e.code}]: ${e.message}\n${e.hint ? `hint: ${e.hint}\n` : ''}` : `${String(e)}\n`,
  );
  process.exitCode = 1;
} finally {
  await remote.close();
}
