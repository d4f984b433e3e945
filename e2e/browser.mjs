// Helpers shared by the browser tests: where the server is, starting headless Chromium on
// a fresh profile, watching what a page loads and logs, and saving screenshots.
import assert from 'node:assert/strict';
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const baseURL = (process.env.RISKGRAPH_URL || '').replace(/\/+$/, '');

// A test that takes longer than this fails instead of holding up the run; each step inside
// has its own 30 s limit, so only a stuck browser gets near it.
export const testTimeout = 120_000;

// chromiumPath returns $CHROMIUM, or the first executable named chromium on PATH.
function chromiumPath() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'chromium');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next directory
    }
  }
  throw new Error('no chromium on PATH; install it (apt-get install chromium) or set CHROMIUM');
}

// openBrowser starts headless Chromium on a fresh, empty profile directory, so that every
// test sees the pages as a first-time visitor (GraphiQL keeps its tabs in localStorage).
// close() stops the browser and removes the profile; so does signal's abort.
// A test of a page that needs no server (the report, opened from a file) passes
// needsServer: false; javaScriptEnabled: false shows a page as a browser without scripts.
export async function openBrowser(signal, { width = 1400, height = 900, needsServer = true, javaScriptEnabled = true } = {}) {
  if (needsServer) assert.ok(baseURL, 'set RISKGRAPH_URL to the address of a running riskgraph server');
  const profile = await mkdtemp(path.join(os.tmpdir(), 'riskgraph-e2e-profile-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath(),
      headless: true,
      viewport: { width, height },
      acceptDownloads: true,
      javaScriptEnabled,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
  const close = async () => {
    try {
      await context.close(); // closing twice is harmless
    } finally {
      await rm(profile, { recursive: true, force: true });
    }
  };
  // A test that times out is abandoned mid-step; stop its browser so the run can end.
  signal.addEventListener('abort', () => close().catch(() => {}), { once: true });
  return { page, context, close };
}

// watch records every request the page makes and every error it reports. foreign() lists
// the requests that went anywhere but the server.
export function watch(page) {
  const requests = [];
  const problems = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  const foreign = () =>
    requests.filter((u) => !(u === baseURL || u.startsWith(`${baseURL}/`) || u.startsWith('data:') || u.startsWith('blob:')));
  return { requests, problems, foreign };
}

export async function screenshot(page, name, { fullPage = true } = {}) {
  const dir = process.env.RISKGRAPH_SCREENSHOT_DIR || os.tmpdir();
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  try {
    await page.screenshot({ path: file, fullPage });
    console.log(`screenshot: ${file}`);
  } catch (err) {
    console.log(`could not save a screenshot: ${err.message}`);
  }
}
