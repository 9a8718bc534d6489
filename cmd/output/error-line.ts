import { isScrydonError } from '../../src/errors.js';
import { pathError, refusalError } from '../../src/fs/io-error.js';

/**
 * Formats a failure as `error[code]: message` plus `hint: …`; the stack only with --debug. An operating-system
 * refusal that reached here without a path (a write to an open file) is hinted at `home`, where scrydon writes.
 */
export function errorLines(e: unknown, debug: boolean, home?: string): { text: string; exitCode: number } {
  const lines: string[] = [];
  let exitCode = 1;
  if (isScrydonError(e)) {
    lines.push(`error[${e.code}]: ${e.message}`);
    if (e.hint) lines.push(`hint: ${e.hint}`);
    if (e.code === 'usage') exitCode = 2;
  } else {
    const msg = e instanceof Error ? e.message : String(e);
    const code = (e as NodeJS.ErrnoException | undefined)?.code;
    const refused = refusalError(e, {
      near: home === undefined ? undefined : `SCRYDON_HOME (${home}) or the output named on the command line`,
    });
    const coded = isScrydonError(refused) ? refused : pathError(e);
    if (coded) {
      lines.push(`error[${coded.code}]: ${coded.message}`, `hint: ${coded.hint ?? ''}`);
    } else if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
      lines.push(`error[io_error]: ${msg}`);
    } else {
      lines.push(`error[internal]: ${msg}`);
      lines.push('hint: this is a bug in scrydon; rerun with --debug and report the output');
    }
  }
  if (debug && e instanceof Error && e.stack) lines.push(e.stack);
  return { text: lines.join('\n') + '\n', exitCode };
}
