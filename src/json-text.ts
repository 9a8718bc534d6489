/**
 * `JSON.stringify(value, null, 2)` for a value nested inside a document laid out the same way: every line after the
 * first is indented by `indent` more. Strings escape their newlines, so each newline of the text is its layout's.
 * Undefined where JSON.stringify gives nothing (undefined, a function, a symbol).
 */
export function nestedJson(value: unknown, indent: string): string | undefined {
  return JSON.stringify(value, null, 2)?.replaceAll('\n', `\n${indent}`);
}
