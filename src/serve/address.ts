import { isIP } from 'node:net';
import { ScrydonError } from '../errors.js';

/** Where `scrydon serve` listens. An empty host means every interface (as `:5000` does for Docker's registry). */
export interface ListenAddress {
  host: string;
  port: number;
}

function bad(addr: string, why: string): never {
  throw new ScrydonError('usage', `--addr "${addr.slice(0, 100)}": ${why}`, {
    hint: 'give HOST:PORT, e.g. 127.0.0.1:5000, [::1]:5000, 0.0.0.0:5000 or :5000',
  });
}

/** Parses `HOST:PORT`, `[V6]:PORT` or `:PORT` (port 0: the system picks one). */
export function parseListenAddress(addr: string): ListenAddress {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(addr.trim());
  if (!m) bad(addr, 'not HOST:PORT');
  const host = m[1] ?? m[2] ?? '';
  const port = Number(m[3]);
  if (port > 65535) bad(addr, `port ${port} is over 65535`);
  if (m[1] !== undefined && isIP(host) !== 6) bad(addr, `"${host}" is not an IPv6 address`);
  if (host !== '' && isIP(host) === 0 && !/^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?$/.test(host))
    bad(addr, `"${host}" is not a host name or IP address`);
  return { host, port };
}

/** Whether binding `host` keeps the server on this machine: 127.0.0.0/8, ::1 or localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (h.startsWith('::ffff:')) return isIP(h.slice(7)) === 4 && h.slice(7).startsWith('127.');
  return false;
}

/** The URL a person or client uses for a bound address (`[v6]` bracketed). */
export function urlOf(scheme: 'http' | 'https', host: string, port: number): string {
  return `${scheme}://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}
