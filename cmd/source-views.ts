import { readRuns, type RunRecord } from '../src/reconcile/history.js';
import { readLockFile } from '../src/reconcile/lock-file.js';
import { sourceSchedule } from '../src/reconcile/source-schedule.js';
import { readSourceState } from '../src/reconcile/source-state.js';
import { REGISTERED, sourceSecretKey, type Source } from '../src/sources/source-spec.js';
import { ErrorCode, ScrydonError } from '../src/errors.js';
import type { Context } from './context.js';
import type { CommandResult } from './define-command.js';
import { shortDigest, table } from './output/render.js';
import { policyText } from './source-options.js';

/** How sources, their state and their runs read for a person. */

export function sourceSummary(s: Source): string {
  return `${s.type} ${s.url} ref ${s.ref}, catalog ${s.catalogPath}, every ${s.interval}, policy ${policyText(s.signaturePolicy)}${s.enabled ? '' : ' (disabled)'}`;
}

function seconds(ms: number): string {
  return ms % 3_600_000 === 0
    ? `${ms / 3_600_000}h`
    : ms % 60_000 === 0
      ? `${ms / 60_000}m`
      : `${Math.round(ms / 1000)}s`;
}

export async function showSource(ctx: Context, s: Source): Promise<CommandResult> {
  const state = await readSourceState(ctx.paths, s.name);
  const lock = await readLockFile(ctx.paths, s.name);
  const [last] = await readRuns(ctx.paths, s.name, { limit: 1 });
  const { backoff, nextRunAt } = sourceSchedule(s, state, Date.now());
  const effective = backoff.effectiveIntervalMs;
  const data = {
    source: { ...s, credential: s.credential ? { stored: true, key: sourceSecretKey(s.name) } : { stored: false } },
    state,
    backoff,
    nextRunAt,
    lastRun: last ?? null,
    lock: lock ? { revision: lock.revision, createdAt: lock.createdAt, packs: lock.packs } : null,
  };
  const lines = [
    `${s.name}: ${sourceSummary(s)}`,
    ...(s.managedBy !== REGISTERED
      ? [`  managed by file ${s.managedBy} (read-only: edit that file to change it)`]
      : []),
    `  credential: ${s.credential ? `stored as ${sourceSecretKey(s.name)} (never shown)` : 'none (anonymous, or your registry logins)'}`,
    ...(s.transport.plainHttp || s.transport.insecure || s.transport.caFile
      ? [
          `  transport: ${[s.transport.plainHttp ? 'plain HTTP' : '', s.transport.insecure ? 'TLS unverified' : '', s.transport.caFile ? `CA ${s.transport.caFile}` : ''].filter(Boolean).join(', ')}`,
        ]
      : []),
    `  last reconciled revision: ${state.lastRevision ?? 'none'}`,
    `  last run: ${last ? `${last.startedAt} ${last.outcome}${last.code ? ` (${last.code})` : ''}` : 'never'}`,
    `  failures in a row: ${state.consecutiveFailures}${backoff.backingOff ? ` — backing off: every ${seconds(effective)} instead of ${s.interval}` : ''}`,
    `  next run (watch): ${nextRunAt ?? 'disabled'}`,
  ];
  if (lock) lines.push(`  lock: ${lock.packs.length} pack(s) at ${lock.revision} (${lock.createdAt})`);
  if (s.signaturePolicy.kind === 'unsigned-allowed')
    lines.push('  warning: unsigned-allowed — packs are not verified and wait for scrydon approve');
  return { data, text: lines.join('\n') };
}

export function historyText(name: string, runs: readonly RunRecord[]): string {
  if (runs.length === 0) return `no runs recorded for ${name}`;
  const out: string[] = [];
  for (const r of runs) {
    const flags = [r.unsignedAllowed ? 'UNSIGNED-ALLOWED' : '', r.mode && r.mode !== 'normal' ? r.mode : '']
      .filter(Boolean)
      .join(' ');
    out.push(
      `${r.startedAt}  ${r.outcome.toUpperCase()}  ${r.trigger}  revision ${r.revision ? shortDigest(r.revision) : '-'}${flags ? `  [${flags}]` : ''}${r.code ? `  ${r.code}: ${r.detail ?? ''}` : ''}`,
    );
    if (r.packs.length) {
      out.push(
        table(
          ['  ID', 'VERSION', 'OUTCOME', 'CODE', 'DETAIL'],
          r.packs.map((p) => [`  ${p.id}`, p.version, p.outcome, p.code ?? '', (p.detail ?? '').split('\n')[0] ?? '']),
        ),
      );
    }
  }
  return out.join('\n');
}

/** One run in one line: `acme: success at 3f2a… — 2 installed, 1 unchanged, 0 failed`. */
export function runLine(r: RunRecord): string {
  const count = (o: string) => r.packs.filter((p) => p.outcome === o).length;
  const parts = (['installed', 'restored', 'mirrored', 'pending-review', 'unchanged', 'retired', 'failed'] as const)
    .map((o) => [o, count(o)] as const)
    .filter(([o, n]) => n > 0 || o === 'failed');
  const rev = r.revision ? ` at ${shortDigest(r.revision).slice(0, 12)}` : '';
  const why = r.code
    ? ` — ${r.code}: ${(r.detail ?? '').split('\n')[0]}`
    : r.outcome === 'unchanged'
      ? ' — catalog unchanged, nothing to do'
      : ` — ${parts.map(([o, n]) => `${n} ${o}`).join(', ')}`;
  return `${r.source}: ${r.outcome}${rev}${r.mode && r.mode !== 'normal' ? ` (${r.mode})` : ''}${r.unsignedAllowed ? ' [unsigned-allowed]' : ''}${why}`;
}

/** Every run, with the failing packs (and a parse failure's problems) spelled out. */
export function runsText(records: readonly RunRecord[]): string {
  const out: string[] = [];
  for (const r of records) {
    out.push(runLine(r));
    if (r.code && r.detail && r.detail.includes('\n'))
      out.push(
        ...r.detail
          .split('\n')
          .slice(1)
          .map((l) => `  ${l.trim()}`),
      );
    for (const p of r.packs) {
      if (p.outcome === 'failed') out.push(`  ${p.id} ${p.version}: ${p.code ?? 'failed'}: ${p.detail ?? ''}`);
      else if (p.outcome !== 'unchanged')
        out.push(`  ${p.id} ${p.version}: ${p.outcome}${p.detail ? ` (${p.detail})` : ''}`);
    }
  }
  return out.join('\n');
}

/**
 * The `error[code]` line for a reconcile where something failed (stderr; the per-pack table stays on stdout):
 * the first failure's own code (a source's catalog, else a pack's), counted over every failed source and pack.
 */
export function reconcileFailure(records: readonly RunRecord[]): ScrydonError | undefined {
  const failed = records.filter((r) => r.outcome === 'failed');
  const first = failed[0];
  if (!first) return undefined;
  const packs = failed.flatMap((r) => r.packs.filter((p) => p.outcome === 'failed').map((p) => ({ r, p })));
  const firstPack = packs[0];
  const recorded = first.code ?? firstPack?.p.code;
  const code: ErrorCode = (Object.values(ErrorCode) as string[]).includes(recorded ?? '')
    ? (recorded as ErrorCode)
    : 'install_failed';
  const what = first.code
    ? `source ${first.source}: ${(first.detail ?? '').split('\n')[0]}`
    : firstPack
      ? `${firstPack.p.id} ${firstPack.p.version} from ${firstPack.r.source}: ${(firstPack.p.detail ?? '').split('\n')[0]}`
      : `source ${first.source}`;
  const more =
    failed.length > 1 || packs.length > 1 ? ` (${failed.length} source(s), ${packs.length} pack(s) failed)` : '';
  const refused =
    [first.code, firstPack?.p.code].some((c) => c === 'auth_failed' || c === 'access_denied') ||
    /^(auth_failed|access_denied):/.test(first.detail ?? '');
  const hint = refused
    ? `if the source's credential is stale: scrydon source set-credential ${first.source} --credential-stdin`
    : `each pack's outcome is listed above; scrydon source history ${first.source} keeps it`;
  return new ScrydonError(code, `reconcile failed: ${what}${more}`, { hint });
}
