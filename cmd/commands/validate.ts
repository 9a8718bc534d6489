import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { ScrydonError } from '../../src/errors.js';
import { keyPath, problemLine, type Problem } from '../../src/config/locate.js';
import { loadPackDir } from '../../src/pack/pack-dir.js';
import { PACK_JSON_MAX_BYTES } from '../../src/pack/pack-json.js';
import { readSmallFile } from '../../src/pack/small-file.js';
import { checkPackJsonText } from '../../src/pack/validate.js';
import { CATALOG_FILE_MAX_BYTES, checkCatalogFile } from '../../src/sources/catalog-file.js';
import { defineCommand } from '../define-command.js';

type Kind = 'pack' | 'pack.json' | 'catalog';
interface Located extends Problem {
  file: string;
}

export default defineCommand({
  command: 'validate <path>',
  describe: 'Check a pack directory, a pack.json or a scrydon.yaml and list every problem with its line',
  examples: [
    ['scrydon validate fixtures/packs/acme-fraud', 'a pack directory: pack.json and the files it names'],
    ['scrydon validate scrydon.yaml', 'a source catalog (CI: exit 1 on any problem)'],
    ['scrydon validate packs/fraud/pack.json --json', '{valid, problems[]} for tools'],
  ],
  builder: (y) =>
    y.positional('path', { type: 'string', demandOption: true, describe: 'pack directory, pack.json or scrydon.yaml' }),
  run: async (args, ctx) => {
    const path = args.path;
    const { kind, problems, summary } = await check(path, ctx.signal);
    const data = {
      valid: problems.length === 0,
      kind,
      path,
      problems: problems.map((p) => ({
        file: p.file,
        ...(p.line !== undefined ? { line: p.line } : {}),
        path: keyPath(p.path),
        pointer: p.path,
        message: p.message,
      })),
    };
    if (problems.length === 0) return { data, text: `valid ${path}${summary ? ` (${summary})` : ''}` };
    if (args.json) return { data, exitCode: 1 };
    const n = problems.length;
    throw new ScrydonError(
      kind === 'catalog' ? 'catalog_invalid' : 'pack_invalid',
      `${path}: ${n} problem${n === 1 ? '' : 's'}\n${problems.map((p) => problemLine(p.file, p)).join('\n')}`,
      {
        hint: `the format is catalog-spec/${kind === 'catalog' ? 'scrydon-catalog' : 'pack'}.schema.json`,
      },
    );
  },
});

async function check(
  path: string,
  signal: AbortSignal,
): Promise<{ kind: Kind; problems: Located[]; summary?: string }> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ScrydonError('not_found', `${path} does not exist`);
    throw e;
  }
  if (isDir) {
    const pd = await loadPackDir(path, { signal });
    const at =
      (file: string) =>
      (p: Problem): Located => ({ ...p, file });
    const problems = [
      ...pd.unsafe.map((u) => ({ file: `${path.replace(/\/+$/, '')}/${u.path}`, path: '', message: u.reason })),
      ...[...pd.problems, ...pd.oversize].map(at(pd.packJsonFile)),
    ];
    const p = pd.packJson?.package;
    return {
      kind: 'pack',
      problems,
      ...(p ? { summary: `pack ${p.id} ${p.version}, ${pd.entries.length} entries` } : {}),
    };
  }
  const text = (await readSmallFile(path, Math.max(CATALOG_FILE_MAX_BYTES, PACK_JSON_MAX_BYTES), 'the file')).toString(
    'utf8',
  );
  const kind = fileKind(path, text);
  if (kind === 'catalog') {
    const r = checkCatalogFile(text);
    const n = r.value?.packs.length;
    return {
      kind,
      problems: r.problems.map((p) => ({ ...p, file: path })),
      ...(n !== undefined ? { summary: `catalog, ${n} pack${n === 1 ? '' : 's'}` } : {}),
    };
  }
  if (Buffer.byteLength(text) > PACK_JSON_MAX_BYTES)
    throw new ScrydonError('size_limit_exceeded', `${path}: over the ${PACK_JSON_MAX_BYTES}-byte limit for pack.json`);
  const r = checkPackJsonText(text);
  const p = r.value?.package;
  return {
    kind,
    problems: r.problems.map((x) => ({ ...x, file: path })),
    ...(p ? { summary: `pack.json of ${p.id} ${p.version}` } : {}),
  };
}

function fileKind(path: string, text: string): Kind {
  const ext = extname(path).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') return 'catalog';
  if (ext === '.json') return 'pack.json';
  const head = text.slice(0, 4096);
  if (/^\s*\{/.test(head)) return 'pack.json';
  if (/kind:\s*PackCatalog/.test(head)) return 'catalog';
  throw new ScrydonError('usage', `${path}: not a pack directory, a .json pack.json or a .yaml catalog`, {
    hint: 'give a pack directory, a pack.json or a scrydon.yaml',
  });
}
