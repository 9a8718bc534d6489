// npm's prepack hook: refuses to pack a tree that was never built (dist/ is made by `npm run build`), which would
// otherwise become a package with no working `scrydon` command. Plain JavaScript: it runs before any build.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const missing = ['dist/bin/scrydon.js', 'dist/src/index.js'].filter((f) => !existsSync(join(root, f)));
if (missing.length > 0) {
  process.stderr.write(`error: refusing to pack an unbuilt tree (${missing.join(', ')} missing): run \`npm run build\` first, or \`bash scripts/release\` for the offline-installable package\n`);
  process.exit(1);
}
