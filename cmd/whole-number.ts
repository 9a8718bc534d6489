import { ScrydonError } from '../src/errors.js';

/** A count flag (`--keep-versions 2`, `--keep-locks 3`): a whole number of at least 1, else a usage error. */
export function wholeNumber(value: string, flag: string): number {
  if (!/^[1-9][0-9]{0,5}$/.test(value))
    throw new ScrydonError('usage', `${flag} must be a whole number of at least 1, not "${value}"`, {
      hint: `e.g. ${flag} 2`,
    });
  return Number(value);
}
