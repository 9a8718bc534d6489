import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from './cli.js';

/**
 * The catalog page in a real browser: Debian's chromium driven by playwright-core, headless. Screenshots are kept
 * as test artifacts under dist/test-artifacts/serve-page/ (`shot(page, name)`). One Chromium per test file, started
 * by the first withPage and closed after the file's tests; each page gets a context of its own (its own cookies,
 * storage and cache, as a fresh profile has), so no page sees what another left.
 */
const CHROMIUM = '/usr/bin/chromium';
export const NO_CHROMIUM = !existsSync(CHROMIUM) && 'Debian chromium is not installed (scripts/test-setup installs it)';
const ARTIFACTS = join(ROOT, 'dist', 'test-artifacts', 'serve-page');

export async function shot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

interface PageOptions {
  /** Viewport width (default 1280). */
  width?: number;
  /** A selector the page must show before `fn` runs. */
  ready: string;
}

/**
 * Opens `url` (a serve's URL plus a hash) in headless Chromium, waits for `ready`, runs `fn`; fails on any script
 * error of the page, and on any request that leaves `origin` (the page fetches nothing from elsewhere).
 */
let launched: Promise<Browser> | undefined;

function browser(): Promise<Browser> {
  launched ??= chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return launched;
}

// after the importing test file's last test: a running Chromium would keep its process from exiting
after(async () => {
  const b = launched;
  launched = undefined;
  if (b) await (await b).close();
});

export async function withPage(
  origin: string,
  hash: string,
  o: PageOptions,
  fn: (page: Page) => Promise<void>,
): Promise<void> {
  const context = await (await browser()).newContext({ viewport: { width: o.width ?? 1280, height: 900 } });
  try {
    const page = await context.newPage();
    const problems: string[] = [];
    const elsewhere: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (r) => {
      if (!r.url().startsWith(`${origin}/`)) elsewhere.push(r.url());
    });
    await page.goto(`${origin}/${hash}`, { waitUntil: 'load' });
    await page.waitForSelector(o.ready);
    await fn(page);
    assert.deepEqual(problems, [], 'no script errors on the page');
    assert.deepEqual(elsewhere, [], 'no request leaves the server');
  } finally {
    await context.close();
  }
}

/** The page is no wider than the viewport: nothing overflows sideways (wide tables scroll inside their box). */
export async function assertNoSidewaysScroll(page: Page): Promise<void> {
  const { scroll, width } = await page.evaluate(() => {
    // runs in the page (this project compiles without the DOM's types)
    const w = globalThis as unknown as { innerWidth: number; document: { documentElement: { scrollWidth: number } } };
    return { scroll: w.document.documentElement.scrollWidth, width: w.innerWidth };
  });
  assert.ok(scroll <= width, `the page is ${scroll} px wide in a ${width} px viewport`);
}
