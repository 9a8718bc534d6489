const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A name a source may have: it is also a directory under state/, so never `.`, `..` or anything with a slash. */
export function isSourceName(s: string): boolean {
  return SOURCE_NAME.test(s) && s !== '.' && s !== '..';
}
