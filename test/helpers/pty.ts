import { spawn } from 'node:child_process';
import { cliEnv, scrydonCommand, type RunOptions, type RunResult } from './cli.js';

/**
 * Runs scrydon on a pseudo-terminal of `columns` × `rows` (python3's pty module: the terminal size is set on the
 * slave before the child starts, so the child sees it from its first write). stdout and stderr both go to the
 * terminal, so `stdout` here is everything the terminal received, escape sequences included.
 */
const PTY = `
import fcntl, os, struct, subprocess, sys, termios
cols, rows = int(sys.argv[1]), int(sys.argv[2])
m, s = os.openpty()
fcntl.ioctl(s, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
p = subprocess.Popen(sys.argv[3:], stdin=s, stdout=s, stderr=s, start_new_session=True)
os.close(s)
out = b''
while True:
    try:
        d = os.read(m, 65536)
    except OSError:
        break
    if not d:
        break
    out += d
sys.stdout.buffer.write(out)
sys.exit(p.wait())
`;

export function scrydonOnTty(
  args: readonly string[],
  columns: number,
  o: RunOptions & { home: string },
): Promise<RunResult> {
  const [node, pre] = scrydonCommand();
  const child = spawn('python3', ['-c', PTY, String(columns), '24', node, ...pre, ...args], {
    env: { ...cliEnv(), SCRYDON_HOME: o.home, TERM: 'xterm', ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
}

/**
 * What a terminal `columns` wide shows after `output`: a small emulator of what progress output uses (text that
 * wraps at the right margin, CR, LF, cursor up `ESC[nA`, erase below `ESC[J`, erase line `ESC[K`; other CSI
 * sequences ignored). Returns the screen's lines and the widest text run written (before wrapping).
 */
export function terminalScreen(output: string, columns: number): { lines: string[]; widest: number } {
  const screen: string[] = [''];
  let row = 0;
  let col = 0;
  let run = 0;
  let widest = 0;
  const put = (ch: string): void => {
    if (col >= columns) {
      row++;
      col = 0;
    }
    while (screen.length <= row) screen.push('');
    const line = (screen[row] ?? '').padEnd(col, ' ');
    screen[row] = line.slice(0, col) + ch + line.slice(col + 1);
    col++;
    run++;
    widest = Math.max(widest, run);
  };
  for (let i = 0; i < output.length; i++) {
    const ch = output[i] ?? '';
    if (ch === '\u001b' && output[i + 1] === '[') {
      const m = /^.\[([0-9;?]*)([A-Za-z])/.exec(output.slice(i)); // ESC [ params letter (ESC checked above)
      if (!m) continue;
      i += m[0].length - 1;
      const n = Number(m[1] || '1');
      if (m[2] === 'A') row = Math.max(0, row - n);
      else if (m[2] === 'J') {
        screen.splice(row + 1);
        screen[row] = (screen[row] ?? '').slice(0, col);
      } else if (m[2] === 'K') screen[row] = (screen[row] ?? '').slice(0, col);
      run = 0;
      continue;
    }
    if (ch === '\r') {
      col = 0;
      run = 0;
    } else if (ch === '\n') {
      row++;
      col = 0;
      run = 0;
      while (screen.length <= row) screen.push('');
    } else put(ch);
  }
  return { lines: screen.map((l) => l.trimEnd()).filter((l, i, all) => l !== '' || i < all.length - 1), widest };
}
