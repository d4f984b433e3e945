// Real-browser test of the GraphiQL playground: headless Chromium opens the page served by
// a running riskgraph (RISKGRAPH_URL), runs a query through the editor and checks that the
// answer shows up and that the page loaded nothing from anywhere but the server itself.
//
// Run: RISKGRAPH_URL=http://127.0.0.1:8080 node --test e2e/   (scripts/browser-test.sh does it all)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const baseURL = (process.env.RISKGRAPH_URL || '').replace(/\/+$/, '');
const query = '{ entity(id: "vendor:kaspersky-lab") { name } }';
// Operation names of the example tabs (web/src/examples.js); GraphiQL titles tabs by them.
// A test that takes longer than this fails instead of holding up the run; each step inside
// has its own 30 s limit, so only a stuck browser gets near it.
const testTimeout = 120_000;
const exampleTabs = ['WhyIsBestBuyExposed', 'WhatDidBod1701Require', 'TheTimeline', 'HowIsBestBuyLinkedToRussia', 'Search'];

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
// test sees the playground as a first-time visitor (GraphiQL keeps its tabs in
// localStorage). close() stops the browser and removes the profile; so does signal's abort.
async function openBrowser(signal) {
  assert.ok(baseURL, 'set RISKGRAPH_URL to the address of a running riskgraph server');
  const profile = await mkdtemp(path.join(os.tmpdir(), 'riskgraph-e2e-profile-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath(),
      headless: true,
      viewport: { width: 1400, height: 900 },
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
  return { page, close };
}

test('the playground runs a query against the server and loads nothing from elsewhere', { timeout: testTimeout }, async (t) => {
  const browser = await openBrowser(t.signal);
  const { page } = browser;

  const requests = [];
  const problems = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });

  try {
    const res = await page.goto(`${baseURL}/`);
    assert.equal(res?.status(), 200, 'GET / status');

    // The query editor is a CodeMirror 5 instance inside GraphiQL.
    const editor = page.locator('.graphiql-query-editor .CodeMirror');
    await editor.waitFor({ state: 'visible' });

    // The example queries open as tabs on a first visit.
    for (const name of exampleTabs) {
      await page.locator('.graphiql-tab', { hasText: name }).first().waitFor({ state: 'attached' });
    }

    // The header names the playground and its docs link opens and closes the schema docs.
    assert.equal(await page.title(), 'riskgraph playground', 'page title');
    assert.equal(await page.locator('.riskgraph-title').textContent(), 'riskgraph playground');
    const docsLink = page.locator('a.riskgraph-docs-link');
    await docsLink.click();
    await waitForDocs(page);
    await docsLink.click();
    await page.locator('.graphiql-doc-explorer').waitFor({ state: 'detached' });

    // Replace the active tab's query: focus the editor, select everything, insert the text
    // (insertText skips CodeMirror's bracket auto-closing, which typing key by key would trigger).
    await editor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.insertText(query);
    const text = await editor.evaluate((el) => el.CodeMirror.getValue());
    assert.equal(text, query, 'query editor content');

    // Run as soon as the text is in: the fetcher must cope with GraphiQL's operation name
    // still being the replaced query's (WhyIsBestBuyExposed) for the next 100 ms.
    await page.locator('button.graphiql-execute-button').click();
    await page.waitForFunction(
      () => document.querySelector('.graphiql-response')?.textContent.includes('Kaspersky Lab'),
    );
    const result = await page.locator('.graphiql-response .CodeMirror').evaluate((el) => el.CodeMirror.getValue());
    assert.deepEqual(JSON.parse(result), { data: { entity: { name: 'Kaspersky Lab' } } });

    const foreign = requests.filter(
      (u) => !(u === baseURL || u.startsWith(`${baseURL}/`) || u.startsWith('data:') || u.startsWith('blob:')),
    );
    assert.deepEqual(foreign, [], 'requests to anywhere but the server');
    assert.ok(requests.includes(`${baseURL}/graphql`), `no request to ${baseURL}/graphql in ${requests.join(', ')}`);
    assert.deepEqual(problems, [], 'errors in the page');
  } finally {
    await screenshot(page, 'riskgraph-playground.png');
    await browser.close();
  }
});

test('every example tab runs against the seeded server without errors', { timeout: testTimeout }, async (t) => {
  const browser = await openBrowser(t.signal);
  const { page } = browser;
  try {
    await page.goto(`${baseURL}/`);
    for (const name of exampleTabs) {
      await page.locator('.graphiql-tab', { hasText: name }).first().locator('.graphiql-tab-button').click();
      // GraphiQL picks up the new tab's operation name after a short debounce; run only once
      // it has, and once the response pane shows this (not yet run) tab's empty result.
      await page.waitForFunction(
        (n) =>
          document.querySelector('.graphiql-query-editor .CodeMirror')?.CodeMirror.operationName === n &&
          document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror.getValue() === '',
        name,
      );
      const source = await page
        .locator('.graphiql-query-editor .CodeMirror')
        .evaluate((el) => el.CodeMirror.getValue());
      assert.match(source, new RegExp(`query ${name} `), `tab ${name} shows its own query`);
      await page.locator('button.graphiql-execute-button').click();
      const handle = await page.waitForFunction(() => {
        const text = document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror.getValue();
        try {
          return text ? JSON.parse(text) : false;
        } catch {
          return false;
        }
      });
      const result = await handle.jsonValue();
      assert.equal(result.errors, undefined, `${name}: ${JSON.stringify(result.errors)}`);
      assert.ok(result.data && Object.values(result.data).every((v) => v !== null), `${name}: empty data`);
    }
    // Leave the first example on screen, with the docs open at the root type, for the picture.
    await page.locator('.graphiql-tab', { hasText: exampleTabs[0] }).first().locator('.graphiql-tab-button').click();
    await page.locator('a.riskgraph-docs-link').click();
    await waitForDocs(page);
    await screenshot(page, 'riskgraph-playground-examples.png');
  } finally {
    await browser.close();
  }
});

// waitForDocs waits until the docs panel shows the schema's root type on screen. GraphiQL
// hides a folded side pane by moving it off to the left and making it transparent, so
// Playwright's "visible" alone would not tell an open panel from a folded one.
async function waitForDocs(page) {
  await page.locator('.graphiql-doc-explorer', { hasText: 'Query' }).waitFor({ state: 'visible' });
  await page.waitForFunction(() => {
    const pane = document.querySelector('.graphiql-doc-explorer')?.closest('.graphiql-plugin');
    if (!pane) return false;
    const box = pane.getBoundingClientRect();
    return box.left >= 0 && box.width >= 200 && getComputedStyle(pane).opacity !== '0';
  });
}

async function screenshot(page, name) {
  const dir = process.env.RISKGRAPH_SCREENSHOT_DIR || os.tmpdir();
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  try {
    await page.screenshot({ path: file, fullPage: true });
    console.log(`screenshot: ${file}`);
  } catch (err) {
    console.log(`could not save a screenshot: ${err.message}`);
  }
}
