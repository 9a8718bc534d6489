import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

/** Asks a question on the terminal (stderr); with `hidden`, what is typed is not echoed (passwords). */
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
    return await new Promise<string>((resolve) => {
      rl.question(question, (answer) => resolve(answer));
      muted = hidden;
    });
  } finally {
    rl.close();
    if (hidden) process.stderr.write('\n');
  }
}
