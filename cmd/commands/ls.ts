import { ScrydonError } from '../../src/errors.js';
import { listStore } from '../../src/pack/list.js';
import { groupByDigest, type StoredArtifact } from '../../src/pack/stored-artifacts.js';
import type { Descriptor } from '../../src/oci/descriptor.js';
import type { Context } from '../context.js';
import { defineCommand } from '../define-command.js';
import { humanBytes } from '../output/progress.js';
import { shortDigest, table } from '../output/render.js';
import { parseFormat, renderTemplate } from '../output/template.js';

/** One row of `ls`: a stored artifact with its tags, and (when a filter or field asks) its source and signature. */
interface Row extends StoredArtifact {
  source?: string;
  signed?: boolean;
}

const FIELDS: Record<string, (r: Row) => string> = {
  Ref: (r) => r.ref,
  ID: (r) => r.id ?? '',
  Version: (r) => r.version ?? '',
  Digest: (r) => r.digest,
  ShortDigest: (r) => shortDigest(r.digest),
  Tags: (r) => r.tags.join(','),
  Size: (r) => humanBytes(r.size),
  Bytes: (r) => String(r.size),
  Created: (r) => r.created ?? '',
  MediaType: (r) => r.mediaType,
  ArtifactType: (r) => r.artifactType ?? '',
  Source: (r) => r.source ?? '',
  Signed: (r) => String(r.signed ?? false),
};

const FILTER_KEYS = ['id', 'version', 'source', 'signed'] as const;
type Filters = Partial<Record<(typeof FILTER_KEYS)[number], string>>;

/** `--filter id=acme.*,source=packs` (repeatable, or comma-joined); an unknown key is a usage error. */
function parseFilters(list: readonly string[]): Filters {
  const out: Filters = {};
  for (const item of list.flatMap((l) => l.split(','))) {
    if (item.trim() === '') continue;
    const eq = item.indexOf('=');
    const key = item.slice(0, Math.max(eq, 0)).trim() as (typeof FILTER_KEYS)[number];
    if (eq <= 0 || !FILTER_KEYS.includes(key))
      throw new ScrydonError('usage', `--filter: unknown filter "${item}"`, {
        hint: `filters are KEY=VALUE with KEY one of ${FILTER_KEYS.join(', ')} (id and version take * and ? globs)`,
      });
    const value = item.slice(eq + 1).trim();
    if (key === 'signed' && value !== 'true' && value !== 'false')
      throw new ScrydonError('usage', `--filter signed=${value}: say true or false`);
    out[key] = value;
  }
  return out;
}

function glob(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** The rows the filters keep; source and signature are looked up only when a filter or a field needs them. */
async function filtered(rows: Row[], f: Filters, needs: ReadonlySet<string>, ctx: Context): Promise<Row[]> {
  let out = rows;
  if (f.id !== undefined) {
    const re = glob(f.id);
    out = out.filter((r) => r.id !== null && re.test(r.id));
  }
  if (f.version !== undefined) {
    const re = glob(f.version);
    out = out.filter((r) => r.version !== null && re.test(r.version));
  }
  if (f.source !== undefined || needs.has('Source')) {
    // loaded only when asked: sources.yaml's parser and schema are not part of a plain ls
    const { sourceOfStored } = await import('../../src/reconcile/pack-sources.js');
    const sourceOf = await sourceOfStored(ctx.paths);
    for (const r of out) r.source = sourceOf(r.digest, r.tags);
    if (f.source !== undefined) out = out.filter((r) => r.source === f.source);
  }
  if (f.signed !== undefined || needs.has('Signed')) {
    const { signedInStore } = await import('../../src/signature/locations.js');
    const store = await ctx.store();
    for (const r of out)
      r.signed = await signedInStore(store, {
        mediaType: r.mediaType,
        digest: r.digest as Descriptor['digest'],
        size: r.size,
      });
    if (f.signed !== undefined) out = out.filter((r) => r.signed === (f.signed === 'true'));
  }
  return out;
}

export default defineCommand({
  heap: ['fixed-young'],
  command: 'ls',
  describe: 'List what the store holds, one row per artifact with its tags: pack id, version, digest, size, created',
  examples: [
    ['scrydon ls', 'every artifact, its tags comma-joined'],
    ['scrydon ls --filter id=acme.* --filter source=packs', 'packs of some ids that one source brought'],
    ['scrydon ls --format "table {{.Ref}}\\t{{.Digest}}\\t{{.Tags}}"', 'your own columns'],
    ['scrydon ls -q | xargs -n1 scrydon inspect', 'one reference per line, for scripts'],
    ['scrydon ls --json | jq -r ".[].ref"', 'every tag for a script'],
  ],
  epilog:
    '-q (--quiet) prints one reference per artifact, one per line: ID:VERSION for a pack when that names it alone ' +
    '(every command takes it), else REPO@sha256:…; for what is not a pack, its first tag. ' +
    'Fields for --format: ' +
    Object.keys(FIELDS)
      .map((k) => `{{.${k}}}`)
      .join(' ') +
    ' and {{json .}}. ' +
    '--json keeps one entry per tag (ref, digest, id, version, size, created, …) and adds tags, every tag of its digest.',
  builder: (y) =>
    y
      .option('id', { type: 'string', describe: 'only packs with this id' })
      .option('filter', {
        alias: 'f',
        type: 'string',
        array: true,
        describe: 'KEY=VALUE, repeatable or comma-joined: id=GLOB, version=GLOB, source=NAME|local, signed=true|false',
      })
      .option('format', {
        type: 'string',
        describe: 'table, json (one object per line), or a Go-template-like {{.Field}} text ("table …" adds a header)',
      }),
  run: async (args, ctx) => {
    const format = args.format === undefined ? undefined : parseFormat(args.format, Object.keys(FIELDS));
    const filters = parseFilters(args.filter ?? []);
    const entries = await listStore(await ctx.store(), {
      signal: ctx.signal,
      remember: true,
      ...(args.id ? { id: args.id } : {}),
    });
    const needs = new Set(
      format?.kind === 'template' ? format.parts.flatMap((p) => (typeof p === 'string' ? [] : [p.field])) : [],
    );
    const rows = await filtered(groupByDigest(entries), filters, needs, ctx);
    // under --json only the data is printed, one entry per tag as before with the tags of its digest: no table
    if (ctx.global.json) {
      const kept = new Map(rows.map((r) => [r.digest, r.tags]));
      return {
        data: entries.flatMap((e) => {
          const tags = kept.get(e.digest);
          return tags ? [{ ...e, tags }] : [];
        }),
      };
    }
    if (ctx.global.quiet) return { data: rows, quietText: rows.map((r) => r.ref).join('\n') };
    let text: string;
    if (format?.kind === 'json') text = rows.map((r) => JSON.stringify(r)).join('\n');
    else if (format?.kind === 'template')
      text = renderTemplate(format, rows, (name, r) => (FIELDS[name] as (r: Row) => string)(r));
    else
      text = rows.length
        ? table(
            ['ID', 'VERSION', 'DIGEST', 'SIZE', 'CREATED', 'TAGS'],
            rows.map((r) => [
              r.id ?? '-',
              r.version ?? '-',
              shortDigest(r.digest),
              humanBytes(r.size),
              r.created ?? '-',
              r.tags.join(','),
            ]),
          )
        : entries.length
          ? 'nothing matches'
          : 'the store is empty';
    return { data: rows, text };
  },
});
