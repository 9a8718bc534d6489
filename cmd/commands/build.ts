import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ScrydonError } from '../../src/errors.js';
import { parseReference } from '../../src/oci/reference.js';
import { buildPackFile, defaultPackRef, storePack } from '../../src/pack/build.js';
import { PACK_MAX_BYTES_DEFAULT } from '../../src/pack/pack-json.js';
import { defineCommand } from '../define-command.js';

export default defineCommand({
  command: 'build <dir>',
  describe: 'Pack a directory deterministically and store it as an OCI artifact (or write the .tar.gz with --out)',
  examples: [
    ['scrydon build fixtures/packs/acme-core', 'store acme.core:1.0.0 in the local catalog'],
    [
      'scrydon build packs/fraud -t acme.fraud:1.2.0 -t acme.fraud:stable',
      'store under two tags instead of the default',
    ],
    ['scrydon build packs/fraud --out dist/fraud.scrydon-pack.tar.gz', 'write the pack file only (for oras push)'],
    [
      'SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) scrydon build packs/fraud',
      'stamp mtimes and the created annotation',
    ],
  ],
  builder: (y) =>
    y
      .positional('dir', { type: 'string', demandOption: true, describe: 'the pack directory (holds pack.json)' })
      .option('tag', {
        alias: 't',
        type: 'string',
        array: true,
        describe: 'tag to store under (repeatable; replaces the default ID:VERSION)',
      })
      .option('out', {
        alias: 'o',
        type: 'string',
        describe: 'write the .scrydon-pack.tar.gz to FILE instead of storing it',
      })
      .option('max-size', {
        type: 'string',
        default: '50MiB',
        describe: 'largest packed size: bytes, or with KB, MB, KiB, MiB, GiB',
      }),
  run: async (args, ctx) => {
    const maxBytes = parseByteSize(args['max-size']);
    const tags = args.tag ?? [];
    for (const t of tags) {
      if (parseReference(t).digest)
        throw new ScrydonError('usage', `-t ${t}: a tag cannot be a digest`, { hint: 'give NAME:TAG' });
    }
    if (args.out !== undefined && tags.length > 0) {
      throw new ScrydonError('usage', '--out writes a file and stores nothing, so -t has nothing to tag', {
        hint: 'use one or the other',
      });
    }
    const env = ctx.env.SOURCE_DATE_EPOCH;
    const sourceDateEpoch = ctx.sourceDateEpoch();
    if (env !== undefined && env !== '' && sourceDateEpoch === undefined)
      ctx.warn(`SOURCE_DATE_EPOCH=${env} is not a number of seconds; ignored`);
    const opts = { sourceDateEpoch, maxBytes, signal: ctx.signal };
    if (args.out !== undefined) {
      const built = await buildPackFile(args.dir, { ...opts, out: resolve(args.out) });
      const p = built.packJson.package;
      const data = {
        refs: [] as string[],
        digest: built.descriptor.digest,
        size: built.descriptor.size,
        id: p.id,
        version: p.version,
        out: built.path,
      };
      return {
        data,
        text: `wrote ${args.out}\nid      ${p.id} ${p.version}\ndigest  ${data.digest}\nsize    ${data.size}`,
      };
    }
    const store = await ctx.store();
    const built = await buildPackFile(args.dir, { ...opts, tmpDir: ctx.paths.tmp });
    try {
      const refs = tags.length > 0 ? tags : [defaultPackRef(built.packJson)];
      const d = await storePack(store, built, refs, { signal: ctx.signal });
      const p = built.packJson.package;
      const data = {
        refs,
        digest: d.digest,
        size: built.descriptor.size,
        id: p.id,
        version: p.version,
        layer: built.descriptor.digest,
      };
      const text = [
        ...refs.map((r) => `stored ${r}`),
        `id      ${p.id} ${p.version}`,
        `digest  ${d.digest}`,
        `size    ${data.size}`,
      ];
      return { data, text: text.join('\n') };
    } finally {
      if (built.temporary && built.path) await rm(built.path, { force: true });
    }
  },
});

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
};

/** `50MiB`, `10MB`, `1048576`: a size in bytes. */
export function parseByteSize(s: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(s);
  const unit = UNITS[(m?.[2] ?? '').toLowerCase()];
  const n = m?.[1] === undefined || unit === undefined ? NaN : Math.floor(Number(m[1]) * unit);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new ScrydonError('usage', `--max-size ${s}: not a size`, {
      hint: `give bytes or a size such as 50MiB or 10MB (default ${PACK_MAX_BYTES_DEFAULT} bytes)`,
    });
  }
  return n;
}
