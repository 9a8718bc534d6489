import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { ScrydonError } from '../../errors.js';

/** HTTP_PROXY / HTTPS_PROXY / NO_PROXY as the environment gives them (cmd/context.ts reads it). */
export interface ProxyConfig {
  httpProxy?: string | undefined;
  httpsProxy?: string | undefined;
  noProxy?: string | undefined;
}

/**
 * The proxy a request to `target` goes through, with the rules of Go's net/http (what docker, skopeo, oras and
 * crane follow): HTTPS_PROXY for https, HTTP_PROXY for http; never for localhost or a loopback address; never
 * for a host NO_PROXY names. NO_PROXY is a comma-separated list of `*`, IPs, CIDRs, `name` (that name and its
 * subdomains) and `.name` or `*.name` (subdomains only), each optionally with `:port`. A proxy written without a
 * scheme is http://.
 */
export function proxyFor(target: URL, c: ProxyConfig): URL | undefined {
  const raw = target.protocol === 'https:' ? c.httpsProxy : c.httpProxy;
  if (!raw) return undefined;
  const host = hostOf(target).toLowerCase();
  const ip = ipBytes(host);
  if (host === 'localhost' || (ip && isLoopback(ip))) return undefined;
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  if (bypassed(host, ip, port, c.noProxy ?? '')) return undefined;
  return parseProxyUrl(raw);
}

/** A proxy setting as a URL (http:// when it has no scheme); http and https proxies only. */
export function parseProxyUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
  } catch {
    throw new ScrydonError('usage', 'the proxy setting (HTTPS_PROXY / HTTP_PROXY) is not a valid URL', {
      hint: 'use http://HOST:PORT or http://USER:PASSWORD@HOST:PORT, with special characters percent-encoded',
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ScrydonError('usage', `unsupported proxy scheme ${url.protocol} (HTTPS_PROXY / HTTP_PROXY)`, {
      hint: 'scrydon speaks to http:// and https:// proxies (not SOCKS)',
    });
  }
  return url;
}

/** `Proxy-Authorization` for a proxy URL with credentials in it. */
export function proxyAuthorization(proxy: URL): string | undefined {
  if (!proxy.username && !proxy.password) return undefined;
  return `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`;
}

/** A URL's host as sockets take it: an IPv6 address without its brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/** The TLS server name (SNI, and the name the certificate is checked against) for a host: none for an address. */
export function serverName(host: string): string {
  return isIP(host) ? '' : host;
}

/**
 * Where a request to the proxy itself goes, and over what: an https:// proxy is spoken to over TLS, checked
 * against the proxy's own name (Node would take the Host header's, which names the registry).
 */
export function proxyEndpoint(proxy: URL): {
  https: boolean;
  options: { host: string; port: number | string; servername?: string };
} {
  const https = proxy.protocol === 'https:';
  const host = hostOf(proxy);
  return {
    https,
    options: { host, port: proxy.port || (https ? 443 : 80), ...(https ? { servername: serverName(host) } : {}) },
  };
}

/** `host:port` as a CONNECT request names it (an IPv6 address in brackets). */
export function authority(host: string, port: number | string): string {
  return `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

function isLoopback(ip: number[]): boolean {
  return ip.length === 4 ? ip[0] === 127 : ip.every((b, i) => b === (i === 15 ? 1 : 0));
}

function bypassed(host: string, ip: number[] | undefined, port: string, noProxy: string): boolean {
  for (const raw of noProxy
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter(Boolean)) {
    if (raw === '*') return true;
    if (raw.includes('/')) {
      if (ip && inCidr(ip, raw)) return true;
      continue;
    }
    const entry = splitHostPort(raw);
    if (entry.port !== undefined && entry.port !== port) continue;
    const entryIp = ipBytes(entry.host);
    if (entryIp) {
      if (ip && sameBytes(ip, entryIp)) return true;
      continue;
    }
    // `name` matches itself and its subdomains; `.name` and `*.name` only its subdomains (Go's httpproxy)
    const sub = entry.host.startsWith('.') || entry.host.startsWith('*.');
    const name = domainToASCII(entry.host.replace(/^\*?\./, ''));
    if (name === '') continue;
    if (host.endsWith(`.${name}`) || (!sub && host === name)) return true;
  }
  return false;
}

/** `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address. */
function splitHostPort(s: string): { host: string; port?: string } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracketed?.[1]) return bracketed[2] ? { host: bracketed[1], port: bracketed[2] } : { host: bracketed[1] };
  if (isIP(s) === 6) return { host: s };
  const m = /^(.*):(\d+)$/.exec(s);
  return m?.[1] && m[2] ? { host: m[1], port: m[2] } : { host: s };
}

function inCidr(ip: number[], cidr: string): boolean {
  const [base = '', bitsText = ''] = cidr.split('/');
  const net = ipBytes(base);
  let bits = Number(bitsText);
  if (!net || bitsText === '' || !Number.isInteger(bits)) return false;
  if (net.length === 4 && base.includes(':')) bits -= 96; // an IPv4-mapped IPv6 network
  if (net.length !== ip.length || bits < 0 || bits > ip.length * 8) return false;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((ip[i] ?? 0) & mask) !== ((net[i] ?? 0) & mask)) return false;
  }
  return true;
}

function sameBytes(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** An IP address as bytes: 4 for IPv4 and IPv4-mapped IPv6 (::ffff:a.b.c.d), 16 for IPv6; undefined otherwise. */
function ipBytes(s: string): number[] | undefined {
  const v = isIP(s);
  if (v === 4) return s.split('.').map(Number);
  if (v !== 6) return undefined;
  // the URL parser writes every IPv6 address in one canonical form of eight hex groups (no dotted quad)
  const canonical = new URL(`http://[${s}]/`).hostname.slice(1, -1);
  const [head = '', tail = ''] = canonical.split('::');
  const groups = (x: string): string[] => (x ? x.split(':') : []);
  const h = groups(head);
  const t = groups(tail);
  const all = canonical.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  const bytes = all.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}
