import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { ScrydonError } from '../src/errors.js';

/**
 * Asks a question on the terminal (stderr); with `hidden`, what is typed is not echoed (passwords). Ctrl-C is
 * `aborted`, and the end of input (Ctrl-D, a closed terminal) is a usage error: neither may look like an answer.
 */
export async function prompt(question: string, hidden = false): Promise<string> {
  let muted = false;
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (!muted) process.stderr.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: process.stdin, output: out, terminal: true });
  try {
    return await new Promise<string>((resolve, reject) => {
      // the terminal is raw while readline reads, so Ctrl-C arrives as a key, not as a signal
      rl.once('SIGINT', () => reject(new ScrydonError('aborted', 'interrupted at the prompt')));
      rl.once('close', () => reject(new ScrydonError('usage', `no answer to "${question.trim()}": the input ended`)));
      rl.question(question, (answer) => resolve(answer));
      muted = hidden;
    });
  } finally {
    rl.close();
    if (hidden) process.stderr.write('\n');
  }
}
