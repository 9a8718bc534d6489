/**
 * `.scrydonignore`: gitignore-style patterns, one per line, matched against paths relative to the pack
 * directory. `#` starts a comment, `!` re-includes, a trailing `/` matches directories only, a `/` at the
 * start or in the middle anchors the pattern to the pack root (otherwise it matches a name at any depth),
 * `*` and `?` stop at `/`, `[a-z]` is a class, `**` spans directories. The last matching line wins; as in
 * git, a file inside an excluded directory cannot be re-included (the walk never enters the directory).
 */
interface Rule {
  re: RegExp;
  negate: boolean;
  dirOnly: boolean;
  /** Matched against the last path segment only. */
  basename: boolean;
}

export class IgnoreMatcher {
  readonly #rules: readonly Rule[];

  private constructor(rules: readonly Rule[]) {
    this.#rules = rules;
  }

  static parse(text: string): IgnoreMatcher {
    const rules: Rule[] = [];
    for (const raw of text.split(/\r?\n/)) {
      const rule = parseLine(raw);
      if (rule) rules.push(rule);
    }
    return new IgnoreMatcher(rules);
  }

  static readonly none = new IgnoreMatcher([]);

  /** Whether `path` (relative, POSIX, no leading or trailing `/`) is excluded. */
  ignores(path: string, isDir: boolean): boolean {
    const base = path.slice(path.lastIndexOf('/') + 1);
    let ignored = false;
    for (const r of this.#rules) {
      if (r.dirOnly && !isDir) continue;
      if (r.re.test(r.basename ? base : path)) ignored = !r.negate;
    }
    return ignored;
  }
}

function parseLine(raw: string): Rule | undefined {
  let line = trimTrailingSpaces(raw);
  if (line === '' || line.startsWith('#')) return undefined;
  let negate = false;
  if (line.startsWith('!')) {
    negate = true;
    line = line.slice(1);
  } else if (line.startsWith('\\!') || line.startsWith('\\#')) {
    line = line.slice(1);
  }
  let dirOnly = false;
  if (line.endsWith('/') && !line.endsWith('\\/')) {
    dirOnly = true;
    line = line.replace(/\/+$/, '');
  }
  if (line === '') return undefined;
  const anchored = line.includes('/');
  if (line.startsWith('/')) line = line.slice(1);
  return { re: new RegExp(`^${globToRegex(line)}$`, 'u'), negate, dirOnly, basename: !anchored };
}

/** Trailing spaces are dropped unless escaped with a backslash (git's rule). */
function trimTrailingSpaces(s: string): string {
  let end = s.length;
  while (end > 0 && s[end - 1] === ' ' && s[end - 2] !== '\\') end--;
  return s.slice(0, end).replace(/\\ $/, ' ');
}

function globToRegex(glob: string): string {
  let out = '';
  let i = 0;
  while (i < glob.length) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atStart = i === 0 || glob[i - 1] === '/';
        const next = glob[i + 2];
        if (atStart && next === '/') {
          out += '(?:.*/)?'; // `**/` : zero or more directories
          i += 3;
          continue;
        }
        if (atStart && next === undefined) {
          out += '.*'; // trailing `/**` : everything inside
          i += 2;
          continue;
        }
        out += '[^/]*'; // any other `**` is an ordinary `*`
        i += 2;
        continue;
      }
      out += '[^/]*';
      i++;
    } else if (c === '?') {
      out += '[^/]';
      i++;
    } else if (c === '[') {
      const cls = charClass(glob, i);
      if (cls) {
        out += cls.re;
        i = cls.end;
      } else {
        out += '\\[';
        i++;
      }
    } else if (c === '\\' && i + 1 < glob.length) {
      out += escapeRe(glob[i + 1] as string);
      i += 2;
    } else {
      out += escapeRe(c);
      i++;
    }
  }
  return out;
}

/** `[abc]`, `[a-z]`, `[!x]` / `[^x]`; undefined when the class is not closed (then `[` is literal). */
function charClass(glob: string, start: number): { re: string; end: number } | undefined {
  let i = start + 1;
  let negate = false;
  if (glob[i] === '!' || glob[i] === '^') {
    negate = true;
    i++;
  }
  let body = '';
  let first = true;
  while (i < glob.length) {
    const c = glob[i] as string;
    if (c === ']' && !first) return { re: negate ? `[^/${body}]` : `[${body}]`, end: i + 1 };
    if (c === '\\' && i + 1 < glob.length) {
      body += escapeClass(glob[i + 1] as string);
      i += 2;
    } else {
      body += c === '-' ? '-' : escapeClass(c);
      i++;
    }
    first = false;
  }
  return undefined;
}

function escapeRe(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

function escapeClass(c: string): string {
  return /[\\\]^[-]/.test(c) ? `\\${c}` : c;
}
