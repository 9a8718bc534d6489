import { readFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { ScrydonError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { withFileLock } from '../fs/lock.js';
import { describeProblems, toPointer, type Problem } from '../config/locate.js';
import { parseYamlText } from '../config/yaml-locate.js';
import { schemaProblems } from '../config/schema.js';
import { validate as sourcesSchema } from '../config/validators/sources.js';
import { REGISTERED, resolveSource, type Source, type SourceSpec } from './source-spec.js';

/**
 * `$SCRYDON_HOME/sources.yaml` (`apiVersion: scrydon.io/v1`, `kind: SourceList`): the registered sources.
 * Read without a lock (it is replaced atomically); changed only through updateSourcesFile, under a lock held
 * for milliseconds. `reconcile -f FILE` reads a file of the same shape without registering anything.
 */
interface SourceList {
  apiVersion: 'scrydon.io/v1';
  kind: 'SourceList';
  sources: SourceSpec[];
}

const MAX_BYTES = 1024 * 1024;

function emptySourceList(): SourceList {
  return { apiVersion: 'scrydon.io/v1', kind: 'SourceList', sources: [] };
}

/** Parses and checks a source list; every problem (schema, duplicate names, bad URL or interval) is listed. */
export function parseSourceList(
  text: string,
  file: string,
  managedBy = REGISTERED,
): { list: SourceList; sources: Source[] } {
  if (Buffer.byteLength(text) > MAX_BYTES)
    throw invalid(file, [{ path: '', message: `is over the ${MAX_BYTES}-byte limit` }]);
  const parsed = parseYamlText(text);
  const problems = parsed.problems.length
    ? parsed.problems
    : schemaProblems(sourcesSchema, parsed.value, parsed.locate);
  if (problems.length) throw invalid(file, problems);
  const list = parsed.value as SourceList;
  const sources: Source[] = [];
  const seen = new Set<string>();
  list.sources.forEach((spec, i) => {
    const at = (...rest: Array<string | number>) => toPointer(['sources', i, ...rest]);
    const line = parsed.locate(at('name'));
    const problem = (message: string, path = at()): Problem => ({
      path,
      ...(line !== undefined ? { line } : {}),
      message,
    });
    if (seen.has(spec.name))
      problems.push(problem(`source ${spec.name} is listed twice (names are unique)`, at('name')));
    seen.add(spec.name);
    try {
      sources.push(resolveSource(spec, managedBy));
    } catch (e) {
      problems.push(problem(e instanceof Error ? e.message : String(e)));
    }
  });
  if (problems.length) throw invalid(file, problems);
  return { list, sources };
}

function invalid(file: string, problems: readonly Problem[]): ScrydonError {
  return new ScrydonError('config_invalid', describeProblems(file, problems), {
    hint: 'the format is catalog-spec/sources.schema.json',
  });
}

/** Reads the registered sources; an absent file is an empty list. */
export async function readSourceList(file: string): Promise<{ list: SourceList; sources: Source[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { list: emptySourceList(), sources: [] };
    throw new ScrydonError('io_error', `cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
  return parseSourceList(text, file);
}

/** A file given to `reconcile -f`: it must exist; its sources are "managed by file" (read-only). */
export async function readSourceFile(file: string): Promise<Source[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ScrydonError('not_found', `cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
  return parseSourceList(text, file, file).sources;
}

export function encodeSourceList(list: SourceList): string {
  return (
    '# Registered pack sources (scrydon source add/rm/enable/disable). Credentials are in the secret store, never here.\n' +
    stringify(list, { lineWidth: 0 })
  );
}

/**
 * Changes the registered sources under a lock: `fn` gets the current list and returns the next one (or
 * undefined to leave the file alone) and a result. The next list is checked before it is written.
 */
export async function updateSourcesFile<T>(
  file: string,
  fn: (
    list: SourceList,
    sources: Source[],
  ) => Promise<{ next?: SourceList; result: T }> | { next?: SourceList; result: T },
): Promise<T> {
  return withFileLock(file, async () => {
    const { list, sources } = await readSourceList(file);
    const { next, result } = await fn(list, sources);
    if (next) {
      const text = encodeSourceList(next);
      parseSourceList(text, file);
      await writeFileAtomic(file, text, 0o644);
    }
    return result;
  });
}
