import { isAbortError, ScrydonError } from '../../errors.js';

/** What went wrong below HTTP: the connection (retryable), TLS (never retried), an abort, or something else. */
type NetFailure = 'network' | 'tls' | 'aborted' | 'other';

const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

const TLS_CODE =
  /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH|EPROTO)/;

function codeOf(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur instanceof Error; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cur = cur.cause;
  }
  return undefined;
}

export function classify(e: unknown): { kind: NetFailure; code: string | undefined } {
  if (isAbortError(e)) return { kind: 'aborted', code: 'ABORT_ERR' };
  if (e instanceof ScrydonError) return { kind: e.code === 'network_error' ? 'network' : 'other', code: e.code };
  const code = codeOf(e);
  if (code && TLS_CODE.test(code)) return { kind: 'tls', code };
  if (code && NETWORK_CODES.has(code)) return { kind: 'network', code };
  if (e instanceof Error && /other side closed|socket hang up|terminated|aborted/i.test(e.message))
    return { kind: 'network', code };
  return { kind: 'other', code };
}

/** The error an abort raises (as Node's own): its `cause` is the signal's reason, so a deadline can be told from a Ctrl-C. */
export function abortError(reason: unknown): Error {
  return Object.assign(new Error('The operation was aborted'), {
    name: 'AbortError',
    code: 'ABORT_ERR',
    cause: reason,
  });
}

/** The whole-operation deadline (`--timeout`) in a failure's cause chain: the signal's reason, a `timeout` ScrydonError. */
function deadlineOf(e: unknown): ScrydonError | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur instanceof Error; i++) {
    if (cur instanceof ScrydonError) return cur.code === 'timeout' ? cur : undefined;
    cur = cur.cause;
  }
  return undefined;
}

function detailOf(e: unknown, code: string | undefined): string {
  const raw = e instanceof Error ? e.message : String(e);
  // OpenSSL's messages carry source paths and hex; the code says it all
  return (code && (/routines|openssl/i.test(raw) || raw === '') ? code : `${code ? `${code}: ` : ''}${raw}`).slice(
    0,
    300,
  );
}

/** An abort (the deadline's `timeout`, or an interruption) or a bound that ran out (`timeout`), named; undefined otherwise. */
function stopped(e: unknown, what: string, host: string, attempts: number): ScrydonError | undefined {
  const { kind, code } = classify(e);
  if (kind === 'aborted') {
    const deadline = deadlineOf(e);
    if (deadline)
      return new ScrydonError('timeout', `${deadline.message} while ${what}`, {
        cause: e,
        ...(deadline.hint ? { hint: deadline.hint } : {}),
      });
    return new ScrydonError('aborted', `interrupted while ${what}`, { cause: e });
  }
  if (code !== 'ETIMEDOUT') return undefined;
  const raw = e instanceof Error ? e.message : String(e);
  return new ScrydonError('timeout', `${host}: ${raw} while ${what}${attempts > 1 ? ` (${attempts} attempts)` : ''}`, {
    cause: e,
    hint: 'the registry (or the network to it) stalled; retry later, or allow more with SCRYDON_IDLE_TIMEOUT / SCRYDON_CONNECT_TIMEOUT',
  });
}

/**
 * The stable error for a failure below HTTP, naming the registry, the proxy it went through (`proxy`: its
 * host:port, never its credentials) and what was being done (no headers, no secrets). `attempts`: how many
 * were made, for a bound that ran out on each.
 */
export function netError(
  e: unknown,
  what: string,
  host: string,
  plainHttp: boolean,
  proxy?: string,
  attempts = 1,
): ScrydonError {
  if (e instanceof ScrydonError) return e;
  const halted = stopped(e, what, host, attempts);
  if (halted) return halted;
  const { kind, code } = classify(e);
  const detail = detailOf(e, code);
  if (kind === 'tls') {
    return new ScrydonError('tls_error', `TLS with ${host} failed while ${what}: ${detail}`, {
      cause: e,
      hint:
        code === 'EPROTO' || code?.startsWith('ERR_SSL')
          ? `if ${host} serves plain HTTP, name it with --plain-http (or plainHttp in registries.yaml)`
          : `trust its CA with --ca-file PATH, or (for a test registry only) --insecure`,
    });
  }
  if (proxy !== undefined) {
    return new ScrydonError(
      'network_error',
      `cannot reach ${host} through the proxy ${proxy} while ${what}: ${detail}`,
      {
        cause: e,
        hint: 'check the proxy setting (HTTPS_PROXY / HTTP_PROXY), or name the registry in NO_PROXY',
      },
    );
  }
  return new ScrydonError('network_error', `cannot reach ${host} while ${what}: ${detail}`, {
    cause: e,
    hint: plainHttp
      ? 'check that the registry is running and the address is right'
      : `check the address and network; if ${host} serves plain HTTP, use --plain-http`,
  });
}

/** The stable error for a failure while an answer's body arrives (the connection was reached: no address hint). */
export function bodyError(e: unknown, what: string, host: string, attempts = 1): ScrydonError {
  if (e instanceof ScrydonError) return e;
  const halted = stopped(e, what, host, attempts);
  if (halted) return halted;
  return new ScrydonError(
    'network_error',
    `the connection to ${host} broke while ${what}: ${detailOf(e, classify(e).code)}`,
    { cause: e },
  );
}
