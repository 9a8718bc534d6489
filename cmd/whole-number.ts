import { ScrydonError } from '../src/errors.js';

/** A count flag (`--keep-versions 2`, `--keep-locks 3`): a whole number of at least 1, else a usage error. */
export function wholeNumber(value: string, flag: string): number {
  if (!/^[1-9][0-9]{0,5}$/.test(value))
    throw new ScrydonError('usage', `${flag} must be a whole number of at least 1, not "${value}"`, {
      hint: `e.g. ${flag} 2`,
    });
  return Number(value);
}

/** A count flag yargs already read as a number (`--concurrency 8`): whole, from 1 to 256, else a usage error. */
export function countFlag(value: number, flag: string): number {
  if (!Number.isInteger(value) || value < 1 || value > 256)
    throw new ScrydonError('usage', `${flag} must be a whole number from 1 to 256`, { hint: `e.g. ${flag} 8` });
  return value;
}
