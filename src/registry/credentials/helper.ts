import { ScrydonError } from '../../errors.js';

/** What a `docker-credential-<name> get` answers. */
interface HelperCredential {
  username: string;
  secret: string;
}

const MAX_OUTPUT = 64 * 1024;
const TIMEOUT_MS = 60_000;

/** Runs `docker-credential-<name> <verb>` with `input` on stdin; resolves exit code, stdout and (truncated) stderr. */
async function runHelper(
  name: string,
  verb: string,
  input: string,
  env: NodeJS.ProcessEnv | undefined,
): Promise<{ code: number | null; stdout: string; stderr: string; error?: Error }> {
  const { spawn } = await import('node:child_process'); // only when a helper is configured
  return new Promise((resolve) => {
    const child = spawn(`docker-credential-${name}`, [verb], {
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(env ? { env } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.stdout.on('data', (c: Buffer) => {
      outLen += c.byteLength;
      if (outLen <= MAX_OUTPUT) out.push(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      errLen += c.byteLength;
      if (errLen <= 4096) err.push(c);
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, stdout: '', stderr: '', error: e });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** A one-line, bounded excerpt of a helper's complaint (helpers print messages, not secrets, on failure). */
function excerpt(s: string): string {
  return s.replace(/\s+/g, ' ').trim().slice(0, 200);
}

/**
 * Asks a Docker credential helper for the credential of `serverUrl`. Undefined when the helper has none
 * ("credentials not found"); a missing, failing or garbled helper is `credential_helper_failed`.
 */
export async function helperGet(
  name: string,
  serverUrl: string,
  configPath: string,
  env?: NodeJS.ProcessEnv,
): Promise<HelperCredential | undefined> {
  const bin = `docker-credential-${name}`;
  const fail = (why: string, cause?: unknown): never => {
    throw new ScrydonError(
      'credential_helper_failed',
      `credential helper ${bin} (named in ${configPath}) failed for ${serverUrl}: ${why}`,
      {
        ...(cause ? { cause } : {}),
        hint: `make ${bin} work (is it installed, unlocked, its daemon running?), or remove it from ${configPath}`,
      },
    );
  };
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) fail('the helper name is not a plain program name');
  const r = await runHelper(name, 'get', serverUrl, env);
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    return fail(code === 'ENOENT' ? `${bin} is not on PATH` : r.error.message, r.error);
  }
  if (r.code !== 0) {
    if (/credentials not found/i.test(r.stdout) || /credentials not found/i.test(r.stderr)) return undefined;
    return fail(
      `exit ${r.code ?? 'signal'}${excerpt(r.stderr || r.stdout) ? `: ${excerpt(r.stderr || r.stdout)}` : ''}`,
    );
  }
  let v: unknown;
  try {
    v = JSON.parse(r.stdout);
  } catch {
    return fail('its output is not JSON');
  }
  const o = v as { Username?: unknown; Secret?: unknown };
  if (typeof o.Secret !== 'string' || typeof o.Username !== 'string') return fail('its output lacks Username/Secret');
  if (o.Secret === '') return undefined;
  return { username: o.Username, secret: o.Secret };
}
