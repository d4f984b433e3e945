// Real-browser test of the GraphiQL playground: headless Chromium opens the page served by
// a running riskgraph (RISKGRAPH_URL), runs a query through the editor and checks that the
// answer shows up and that the page loaded nothing from anywhere but the server itself;
// then runs every example tab, titled by its friendly title.
//
// Run: RISKGRAPH_URL=http://127.0.0.1:8080 node --test e2e/   (scripts/browser-test.sh does it all)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseURL, openBrowser, screenshot, testTimeout, watch } from './browser.mjs';
import { examples } from '../web/src/examples.js';

const query = '{ entity(id: "vendor:kaspersky-lab") { name } }';
// The example tabs are titled by their friendly titles (web/src/examples.js).
const exampleTabs = examples.map((e) => e.title);

test('the playground runs a query against the server and loads nothing from elsewhere', { timeout: testTimeout }, async (t) => {
  const browser = await openBrowser(t.signal);
  const { page } = browser;

  const { requests, problems, foreign } = watch(page);

  try {
    const res = await page.goto(`${baseURL}/`);
    assert.equal(res?.status(), 200, 'GET / status');

    // The query editor is a CodeMirror 5 instance inside GraphiQL.
    const editor = page.locator('.graphiql-query-editor .CodeMirror');
    await editor.waitFor({ state: 'visible' });

    // The example queries open as tabs on a first visit, titled by their friendly titles,
    // in order, and nothing else.
    await page.locator('.graphiql-tab').nth(exampleTabs.length - 1).waitFor({ state: 'attached' });
    const titles = await page.locator('.graphiql-tab .graphiql-tab-button').allTextContents();
    assert.deepEqual(titles.map((t) => t.trim()), exampleTabs, 'tab titles');

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

    assert.deepEqual(foreign(), [], 'requests to anywhere but the server');
    assert.ok(requests.includes(`${baseURL}/graphql`), `no request to ${baseURL}/graphql in ${requests.join(', ')}`);
    assert.deepEqual(problems, [], 'errors in the page');
  } finally {
    await screenshot(page, 'riskgraph-playground.png');
    await browser.close();
  }
});

test('every example tab runs against the seeded server without errors, scores rounded, the timeline by date', { timeout: testTimeout }, async (t) => {
  const browser = await openBrowser(t.signal);
  const { page } = browser;
  try {
    await page.goto(`${baseURL}/`);
    const results = {};
    for (const ex of examples) {
      await page.locator('.graphiql-tab', { hasText: ex.title }).first().locator('.graphiql-tab-button').click();
      // Run only once the editor shows this tab's query, GraphiQL has picked up its operation
      // name (after a short debounce; none for an anonymous query) and the response pane
      // shows this (not yet run) tab's empty result.
      const opName = /^\s*(?:query|mutation)\s+(\w+)/m.exec(ex.query)?.[1] ?? null;
      await page.waitForFunction(
        ([q, n]) => {
          const cm = document.querySelector('.graphiql-query-editor .CodeMirror')?.CodeMirror;
          return (
            cm?.getValue() === q &&
            (cm.operationName ?? null) === n &&
            document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror.getValue() === ''
          );
        },
        [ex.query, opName],
      );
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
      assert.equal(result.errors, undefined, `${ex.title}: ${JSON.stringify(result.errors)}`);
      assert.ok(result.data && Object.values(result.data).every((v) => v !== null), `${ex.title}: empty data`);
      results[ex.title] = result;
    }

    // Scores are shown rounded to 4 decimals; the API keeps full precision.
    const shown = results['The chains that carry risk to Best Buy'].data.exposure;
    const numbers = JSON.stringify(shown).match(/-?\d+\.\d+(e-?\d+)?/g) || [];
    assert.ok(numbers.length > 0, 'no scores in the exposure example');
    for (const n of numbers) assert.match(n, /^-?\d+\.\d{1,4}$/, `${n} is not rounded to 4 decimals`);
    const api = await (
      await fetch(`${baseURL}/graphql`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ query: '{ exposure(entityId: "retailer:best-buy", dimension: FOREIGN_INFLUENCE, asOf: "2017-09-01") { score propagated } }' }),
      })
    ).json();
    assert.equal(shown.score, Number(api.data.exposure.score.toFixed(4)), 'shown score is the API score rounded');
    assert.ok((String(api.data.exposure.score).split('.')[1] || '').length > 4, 'the API itself answers with full precision');

    // The timeline lists its events in date order.
    const events = Object.entries(results['The timeline, by date'].data).map(([k, v]) => [k, v.validFrom ?? v.validTo]);
    const dates = events.map(([, d]) => d);
    assert.ok(dates.every(Boolean), `an event without a date: ${JSON.stringify(events)}`);
    assert.deepEqual(dates, [...dates].sort(), `timeline not in date order: ${JSON.stringify(events)}`);

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
