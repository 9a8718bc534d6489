import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { ROOT, tempDir } from './cli.js';

/**
 * The catalog page in a real browser: Debian's chromium driven by playwright-core, headless. Screenshots are kept
 * as test artifacts under dist/test-artifacts/serve-page/ (`shot(page, name)`).
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
export async function withPage(
  origin: string,
  hash: string,
  o: PageOptions,
  fn: (page: Page) => Promise<void>,
): Promise<void> {
  const profile = await tempDir('scrydon-chromium-');
  const browser = await chromium.launchPersistentContext(profile, {
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
    viewport: { width: o.width ?? 1280, height: 900 },
  });
  try {
    const page = browser.pages()[0] ?? (await browser.newPage());
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
    await browser.close();
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
