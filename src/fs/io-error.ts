import { accessSync, constants, existsSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { ScrydonError } from '../errors.js';

const ELSEWHERE = 'or point SCRYDON_HOME (or --root, -o) at a directory this user may write';
/**
 * The operating system's refusals that the user fixes outside scrydon (a full disk, a read-only mount, file
 * modes) as `io_error`s naming the path and the fix. Other failures (ENOENT, EEXIST…) are the caller's to judge,
 * so they pass through unchanged.
 */
const REFUSALS: Readonly<Record<string, { what: string; hint: (path: string, step: string) => string }>> = {
  ENOSPC: {
    what: 'no space left on device',
    hint: (p) =>
      `the file system holding ${p} is full: free space there and retry (scrydon gc --grace 0 frees what no tag reaches)`,
  },
  EDQUOT: {
    what: 'disk quota exceeded',
    hint: (p) => `the disk quota of the file system holding ${p} is used up: free space there and retry`,
  },
  EROFS: {
    what: 'read-only file system',
    hint: (p) => `${p} is on a read-only file system: remount it read-write, ${ELSEWHERE}`,
  },
  EACCES: {
    what: 'permission denied',
    hint: (p, step) => `this user may not ${step} ${p}: fix its owner or mode, ${ELSEWHERE}`,
  },
  EPERM: {
    what: 'operation not permitted',
    hint: (p, step) => `this user may not ${step} ${p}: fix its owner or mode, ${ELSEWHERE}`,
  },
};

/**
 * Node's recursive mkdir reports ENOENT when it cannot make a missing directory for another reason (EROFS,
 * EACCES, ENOSPC): the first ancestor that exists, probed for writing and for free space, tells the real one.
 */
function mkdirCause(err: NodeJS.ErrnoException): NodeJS.ErrnoException {
  if (err.code !== 'ENOENT' || err.syscall !== 'mkdir' || err.path === undefined) return err;
  let dir = dirname(err.path);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  let code: string | undefined;
  try {
    accessSync(dir, constants.W_OK);
    const fs = statfsSync(dir);
    if (fs.bavail === 0 || fs.ffree === 0) code = 'ENOSPC';
  } catch (e) {
    code = (e as NodeJS.ErrnoException).code;
  }
  return code !== undefined && code in REFUSALS
    ? Object.assign(new Error(err.message), { code, syscall: 'mkdir', path: err.path })
    : err;
}

function errnoOf(e: unknown): NodeJS.ErrnoException | undefined {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string'
    ? (e as NodeJS.ErrnoException)
    : undefined;
}

/**
 * `e` as a coded io_error when it is one of the refusals above, else `e` as it is. The message names the step
 * and the path (`at.path`, else the error's own path); the hint names that path, or `at.near` when neither is
 * known (a write to an open file carries no path).
 */
export function refusalError(
  e: unknown,
  at: { path?: string | undefined; step?: string | undefined; near?: string | undefined } = {},
): unknown {
  const raw = errnoOf(e);
  const err = raw && mkdirCause(raw);
  const refusal = err?.code === undefined ? undefined : REFUSALS[err.code];
  if (!err || !refusal) return e;
  const where = at.path ?? err.path;
  const step = at.step ?? err.syscall ?? 'write';
  const message = `cannot ${step}${where === undefined ? '' : ` ${where}`}: ${refusal.what} (${err.code})`;
  return new ScrydonError('io_error', message, {
    cause: e,
    hint: refusal.hint(where ?? at.near ?? 'the files scrydon writes', step),
  });
}

/** Runs `fn`, turning a refusal into a coded io_error that says scrydon could not `step` `path` (see refusalError). */
export async function namingPath<T>(path: string, fn: () => Promise<T>, step = 'write'): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw refusalError(e, { path, step });
  }
}

/** An atomic write's scratch name (`x.tar.tmp-8bd4c1e2171d`) shown as the file the user named (`x.tar`). */
function userPath(p: string): string {
  return p.replace(/\.tmp-[0-9a-f]{6,}$/, '');
}

/** Path errors the user fixes by naming another path: what went wrong, and the fix. */
const PATH_ERRORS: Readonly<Record<string, { what: string; hint: (path: string, syscall: string) => string }>> = {
  ENOENT: {
    what: 'no such file or directory',
    hint: (p, syscall) =>
      /^(open|mkdir|rename|copyfile|symlink|link)$/.test(syscall) && !existsSync(dirname(p))
        ? `the directory ${dirname(p)} does not exist: create it, or name a path in an existing directory`
        : `${p} does not exist: check the path`,
  },
  ENOTDIR: { what: 'not a directory', hint: (p) => `a part of ${p} is a file, not a directory: check the path` },
  EISDIR: { what: 'is a directory', hint: (p) => `${p} is a directory: name a file` },
  ENAMETOOLONG: { what: 'file name too long', hint: (p) => `shorten ${p}` },
  ELOOP: { what: 'too many symbolic links', hint: (p) => `${p} has a symbolic-link loop: check the path` },
  EMFILE: { what: 'too many open files', hint: () => 'raise the open-file limit (ulimit -n) and retry' },
};

/**
 * An operating-system error on a path (a missing directory under `-o`, a file where a directory should be) as a
 * coded io_error naming the path the user gave and the fix; undefined for anything else. For the last line of
 * defence (cmd/output/error-line.ts): code that expects ENOENT catches it before it gets there.
 */
export function pathError(e: unknown): ScrydonError | undefined {
  const err = errnoOf(e);
  const known = err?.code === undefined ? undefined : PATH_ERRORS[err.code];
  if (!err || !known) return undefined;
  const path = err.path === undefined ? undefined : userPath(err.path);
  const syscall = err.syscall ?? 'open';
  const message = `cannot ${syscall}${path === undefined ? '' : ` ${path}`}: ${known.what} (${err.code})`;
  return new ScrydonError('io_error', message, {
    cause: e,
    hint: known.hint(path ?? 'the path given', syscall),
  });
}
