/** Texts and layout the top-level help shows, shared by yargs (yargs-cli.ts) and the manifest's help (help/). */
export const USAGE = '$0 <command> [options]\n\nA local-first catalog of packs stored and moved as OCI artifacts.';
export const EPILOGUE = 'Files live under $SCRYDON_HOME (default ~/.scrydon). Docs: README.md, catalog-spec/.';

/** The width help text wraps at: the terminal's, at most 110 (100 when not a terminal). */
export function helpWidth(columns: number | undefined): number {
  return Math.min(110, columns || 100);
}
