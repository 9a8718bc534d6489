import { resolve } from 'node:path';
import { fileSink, streamSink } from '../../src/archive/archive-sink.js';
import { saveArchive } from '../../src/verbs/save.js';
import { readInventoryFile } from '../../src/verbs/inventory.js';
import { ScrydonError } from '../../src/errors.js';
import { defineCommand } from '../define-command.js';
import { humanBytes } from '../output/progress.js';
import { shortDigest } from '../output/render.js';
import { trustRootArtifact } from '../../src/signature/trust-artifact.js';
import { storeDependencies } from '../../src/reconcile/store-deps.js';
import { resolveName } from '../../src/pack/resolve-name.js';

export default defineCommand({
  heap: ['fixed-young'],
  command: 'save [refs..]',
  describe: 'Write stored packs (with their signatures) to a tar archive, an OCI image layout',
  examples: [
    [
      'scrydon save acme.fraud:1.2.0 -o fraud.tar',
      'one pack and the stored packs it depends on, for an air-gapped machine',
    ],
    ['scrydon save --all -o everything.tar', 'every tag in the store'],
    [
      'scrydon save acme.fraud:1.3.0 --exclude-inventory their-inventory.json -o delta.tar',
      'only what the other side lacks',
    ],
    ['scrydon save acme.fraud:1.2.0 -o - | ssh host scrydon load', 'stream to another machine'],
    [
      'scrydon save acme.fraud:1.2.0 --with-tool --key cosign.key -o fraud.tar',
      'scrydon itself too, signed; it prints the tar command that takes it out',
    ],
  ],
  builder: (y) =>
    y
      .positional('refs', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe: 'ID:VERSION, tags or digests to save',
      })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'archive file, or - for stdout' })
      .option('all', { type: 'boolean', default: false, describe: 'save every tag in the store' })
      .option('exclude-inventory', {
        type: 'string',
        describe: 'leave out the blobs listed in this inventory (scrydon inventory)',
      })
      // -- signatures: carry the trusted root for keyless verification on the other side
      .option('trust', {
        type: 'boolean',
        default: false,
        describe:
          'also carry the imported trusted root, in the archive only (import it there with scrydon trust import --digest)',
      })
      // -- reconcile: a saved pack carries what it needs
      .option('dependencies', {
        type: 'boolean',
        default: true,
        describe:
          'also save the stored packs the named packs depend on (pack.json dependencies); --no-dependencies to leave them out',
      })
      .option('receipts', {
        type: 'boolean',
        default: true,
        describe:
          "carry the store's verification receipts of what is saved beside the layout (load keeps them as carried); --no-receipts for a loader that refuses the receipts/ directory (scrydon before receipts travelled)",
      })
      // -- the tool: scrydon itself crosses the air gap with the packs
      .option('with-tool', {
        type: 'boolean',
        default: false,
        describe:
          'also carry this scrydon (the single executable; under Node, its npm package) and a SHA256SUMS, in the archive only; tar takes it out',
      })
      .option('tool-file', {
        type: 'string',
        describe:
          'carry this file as the tool (named scrydon-<version>-<os>-<arch> or scrydon-<version>.tgz); implies --with-tool',
      })
      .option('key', {
        type: 'string',
        describe: 'sign the carried tool with this private key, as scrydon sign --key does (a path or env://NAME)',
      }),
  run: async (args, ctx) => {
    const given = args.refs ?? [];
    const withTool = args['with-tool'] || args['tool-file'] !== undefined;
    if (given.length === 0 && !args.all && !withTool)
      throw new ScrydonError('usage', 'name at least one reference, or pass --all');
    if (args.key !== undefined && !withTool)
      throw new ScrydonError('usage', '--key signs the carried tool; it needs --with-tool', {
        hint: 'sign packs with scrydon sign',
      });
    if (given.length > 0 && args.all)
      throw new ScrydonError('usage', '--all saves every tag; do not name references too');
    const toStdout = args.output === '-';
    if (toStdout && args.json) throw new ScrydonError('usage', '--json cannot share stdout with the archive (-o -)');
    if (toStdout && process.stdout.isTTY) {
      throw new ScrydonError('usage', 'refusing to write an archive to a terminal', {
        hint: 'redirect stdout, or give -o FILE',
      });
    }
    const exclude = args['exclude-inventory'] ? await readInventoryFile(resolve(args['exclude-inventory'])) : undefined;
    const store = await ctx.store();
    const refs: string[] = [];
    // a pack named by id and version is saved under that name too (beside its store name)
    const aliases = new Map<string, string[]>();
    for (const r of given) {
      const found = await resolveName(store, r, { signal: ctx.signal });
      refs.push(found.ref);
      if (found.packName !== undefined && found.packName !== found.ref)
        aliases.set(found.ref, [...(aliases.get(found.ref) ?? []), found.packName]);
    }
    if (!args.all && args.dependencies) {
      const deps = await storeDependencies(store, refs);
      if (deps.missing.length && exclude) {
        // a delta: the receiving side may well hold them already
        ctx.warn(`the store lacks dependencies (the receiving store must have them): ${deps.missing.join('; ')}`);
      } else if (deps.missing.length) {
        throw new ScrydonError('not_found', `the store lacks dependencies: ${deps.missing.join('; ')}`, {
          hint: 'pull or build them first, or pass --no-dependencies',
        });
      }
      for (const d of deps.refs) ctx.info(`including dependency ${d}`);
      refs.push(...deps.refs);
    }
    // -- signatures: the trusted root goes into the archive only, never into the store
    const trust = args.trust ? await trustRootArtifact(ctx.paths.trust) : undefined;
    if (args.trust) {
      if (!trust)
        throw new ScrydonError('trust_missing', `--trust: no trusted root in ${ctx.paths.trust}`, {
          hint: 'scrydon trust import trusted_root.json',
        });
      ctx.info(
        `carrying trusted root ${trust.digest}; on the other side: scrydon trust import --digest ${trust.digest}`,
      );
    }
    // -- the tool: streamed from its file as the archive is written, never copied into the store
    const tool = withTool
      ? await (await import('../tool-source.js')).carriedTool(ctx, { file: args['tool-file'], key: args.key })
      : undefined;
    let r;
    try {
      const carry = [...(trust ? [trust] : []), ...(tool ? [tool.artifact] : [])];
      const sink = toStdout ? streamSink(process.stdout) : await fileSink(resolve(args.output));
      const onEvent = ctx.progress();
      r = await saveArchive(store, refs, sink, {
        all: args.all,
        receipts: args.receipts,
        signal: ctx.signal,
        ...(carry.length ? { carry } : {}),
        ...(exclude ? { exclude } : {}),
        ...(onEvent ? { onEvent } : {}),
        ...(aliases.size ? { aliases } : {}),
      });
    } finally {
      await tool?.cleanup();
    }
    const carried = tool?.report(toStdout ? 'ARCHIVE.tar' : args.output);
    const lines = [
      ...r.refs.map((x) => `saved ${x.ref} (${shortDigest(x.digest)})`),
      `${r.copied} blob(s), ${humanBytes(r.bytes)} written to ${toStdout ? 'stdout' : r.archive}` +
        (r.skipped > 0 ? `; ${r.skipped} left out${exclude ? ' (in the inventory)' : ''}` : ''),
      ...(carried ? carried.lines : []),
    ];
    const data = {
      archive: toStdout ? '-' : r.archive,
      refs: r.refs,
      blobs: r.copied,
      bytes: r.bytes,
      excluded: r.skipped,
      referrers: r.referrers,
      ...(carried ? { tool: carried.data } : {}),
    };
    if (toStdout) {
      ctx.info(lines.join('\n'));
      return { data, text: '' };
    }
    return { data, text: lines.join('\n') };
  },
});
