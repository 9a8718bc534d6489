import { isScrydonError } from '../../src/errors.js';

/** Formats a failure as `error[code]: message` plus `hint: …`; the stack only with --debug. */
export function errorLines(e: unknown, debug: boolean): { text: string; exitCode: number } {
  const lines: string[] = [];
  let exitCode = 1;
  if (isScrydonError(e)) {
    lines.push(`error[${e.code}]: ${e.message}`);
    if (e.hint) lines.push(`hint: ${e.hint}`);
    if (e.code === 'usage') exitCode = 2;
  } else {
    const msg = e instanceof Error ? e.message : String(e);
    const code = (e as NodeJS.ErrnoException | undefined)?.code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
      lines.push(`error[io_error]: ${msg}`);
      if (code === 'ENOSPC') lines.push('hint: the disk is full; free space and retry');
      else if (code === 'EACCES' || code === 'EPERM') lines.push('hint: check file permissions (and SCRYDON_HOME)');
    } else {
      lines.push(`error[internal]: ${msg}`);
      lines.push('hint: this is a bug in scrydon; rerun with --debug and report the output');
    }
  }
  if (debug && e instanceof Error && e.stack) lines.push(e.stack);
  return { text: lines.join('\n') + '\n', exitCode };
}
