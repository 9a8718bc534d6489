/** A parsed `WWW-Authenticate` challenge (RFC 7235): the scheme, lower-cased, and its parameters. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses every challenge in `WWW-Authenticate` values: `Bearer realm="…",service="…",scope="…"`, `Basic realm="…"`.
 * Quoted strings may hold commas and escaped quotes; unknown schemes are kept (the caller picks).
 */
export function parseChallenges(values: readonly string[]): Challenge[] {
  const out: Challenge[] = [];
  for (const value of values) {
    let i = 0;
    const s = value;
    let current: Challenge | undefined;
    const skip = (): void => {
      while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === ',')) i++;
    };
    const token = (): string => {
      const start = i;
      while (i < s.length && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(s[i] as string)) i++;
      return s.slice(start, i);
    };
    while (i < s.length) {
      skip();
      const name = token();
      if (!name) {
        i++;
        continue;
      }
      let j = i;
      while (j < s.length && s[j] === ' ') j++;
      if (s[j] === '=' && current) {
        i = j + 1;
        while (i < s.length && s[i] === ' ') i++;
        let v = '';
        if (s[i] === '"') {
          i++;
          while (i < s.length && s[i] !== '"') {
            if (s[i] === '\\' && i + 1 < s.length) i++;
            v += s[i];
            i++;
          }
          i++;
        } else {
          const start = i;
          while (i < s.length && s[i] !== ',') i++;
          v = s.slice(start, i).trim();
        }
        current.params[name.toLowerCase()] = v;
      } else {
        current = { scheme: name.toLowerCase(), params: {} };
        out.push(current);
      }
    }
  }
  return out;
}

/** The challenge scrydon answers: Bearer first (the token flow), then Basic. */
export function pickChallenge(cs: readonly Challenge[]): Challenge | undefined {
  return cs.find((c) => c.scheme === 'bearer' && c.params.realm) ?? cs.find((c) => c.scheme === 'basic');
}
