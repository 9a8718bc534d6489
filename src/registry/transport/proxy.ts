import { isIP } from 'node:net';
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
 * for a host NO_PROXY names (`*`, an IP, a CIDR, `host`, `.domain` or `domain` with its subdomains, each
 * optionally with `:port`). A proxy written without a scheme is http://.
 */
export function proxyFor(target: URL, c: ProxyConfig): URL | undefined {
  const raw = target.protocol === 'https:' ? c.httpsProxy : c.httpProxy;
  if (!raw) return undefined;
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === 'localhost' || isLoopback(host)) return undefined;
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  if (bypassed(host, port, c.noProxy ?? '')) return undefined;
  return parseProxyUrl(raw);
}

/** A proxy setting as a URL (http:// when it has no scheme); http and https proxies only. */
export function parseProxyUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    throw new ScrydonError('usage', 'the proxy setting (HTTPS_PROXY / HTTP_PROXY) is not a URL', { hint: 'use http://HOST:PORT, optionally http://USER:PASSWORD@HOST:PORT' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ScrydonError('usage', `unsupported proxy scheme ${url.protocol} (HTTPS_PROXY / HTTP_PROXY)`, { hint: 'scrydon speaks to http:// and https:// proxies' });
  }
  return url;
}

/** `Proxy-Authorization` for a proxy URL with credentials in it. */
export function proxyAuthorization(proxy: URL): string | undefined {
  if (!proxy.username && !proxy.password) return undefined;
  return `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`;
}

function isLoopback(host: string): boolean {
  const v = isIP(host);
  if (v === 4) return host.startsWith('127.');
  if (v === 6) return host === '::1' || /^(0{0,4}:){7}0{0,3}1$/.test(host) || host.startsWith('::ffff:127.');
  return false;
}

function bypassed(host: string, port: string, noProxy: string): boolean {
  for (const raw of noProxy.toLowerCase().split(/[,\s]+/).filter(Boolean)) {
    if (raw === '*') return true;
    if (raw.includes('/')) {
      if (inCidr(host, raw)) return true;
      continue;
    }
    const entry = splitHostPort(raw);
    if (entry.port !== undefined && entry.port !== port) continue;
    if (isIP(entry.host)) {
      if (entry.host === host) return true;
      continue;
    }
    const name = entry.host.replace(/^\*?\./, ''); // `.example.com`, `*.example.com` and `example.com` alike
    if (host === name || host.endsWith(`.${name}`)) return true;
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

function inCidr(host: string, cidr: string): boolean {
  const [base = '', bitsText = ''] = cidr.split('/');
  const v = isIP(base);
  if (v === 0 || isIP(host) !== v) return false;
  const a = ipBytes(host);
  const b = ipBytes(base);
  let bits = Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > a.length * 8) return false;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((a[i] ?? 0) & mask) !== ((b[i] ?? 0) & mask)) return false;
  }
  return true;
}

function ipBytes(ip: string): number[] {
  if (isIP(ip) === 4) return ip.split('.').map(Number);
  const [head = '', tail = ''] = ip.split('::');
  const groups = (s: string): string[] => (s ? s.split(':') : []);
  const h = groups(head);
  const t = groups(tail);
  const all = ip.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return all.flatMap((g) => {
    const n = parseInt(g || '0', 16);
    return [n >> 8, n & 0xff];
  });
}
