import { APP_JS } from './assets/app-js.js';
import { PAGE_HTML } from './assets/page-html.js';
import { STYLE_CSS } from './assets/style-css.js';
import { sendBytes, type Exchange } from './http.js';

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const ASSETS: ReadonlyMap<string, { type: string; body: Buffer }> = new Map([
  ['/', { type: 'text/html; charset=utf-8', body: Buffer.from(PAGE_HTML) }],
  ['/index.html', { type: 'text/html; charset=utf-8', body: Buffer.from(PAGE_HTML) }],
  ['/assets/app.js', { type: 'text/javascript; charset=utf-8', body: Buffer.from(APP_JS) }],
  ['/assets/style.css', { type: 'text/css; charset=utf-8', body: Buffer.from(STYLE_CSS) }],
]);

/** Serves the catalog page and its two assets; false for any other path. */
export function handlePage(x: Exchange): boolean {
  const a = ASSETS.get(x.url.pathname);
  if (!a) return false;
  sendBytes(
    x,
    200,
    {
      'content-type': a.type,
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-cache',
    },
    a.body,
  );
  return true;
}
