// Real-browser tests of the nightly report's self-contained HTML page, opened from a file as
// a mail attachment would be: it loads nothing from anywhere, logs no error, draws every
// chart and at least one exposure chain, shows the obligations and data-quality sections,
// fits a 1280 px wide window; without JavaScript its tables are all there.
//
// The page is made by the Go renderer; no server is needed:
//   RISKGRAPH_SAMPLE_HTML=/tmp/sample-report.html go test ./internal/report -run HTML
//   RISKGRAPH_REPORT_HTML=/tmp/sample-report.html node --test e2e/report.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { openBrowser, screenshot, testTimeout, watch } from './browser.mjs';

// reportURL is the file:// URL of $RISKGRAPH_REPORT_HTML.
function reportURL() {
  const file = process.env.RISKGRAPH_REPORT_HTML;
  assert.ok(
    file,
    'set RISKGRAPH_REPORT_HTML to a report page, e.g. RISKGRAPH_SAMPLE_HTML=/tmp/sample-report.html go test ./internal/report -run HTML',
  );
  assert.ok(existsSync(file), `RISKGRAPH_REPORT_HTML=${file}: no such file`);
  return pathToFileURL(path.resolve(file)).href;
}

// local tells whether a request stays inside the file: the file itself, or data and blob URLs
// made by the page.
const local = (u) => /^(file|data|blob|about):/.test(u);


test('the report page works offline, draws its charts and chains', { timeout: testTimeout }, async (t) => {
  const url = reportURL();
  const browser = await openBrowser(t.signal, { width: 1280, height: 900, needsServer: false });
  const { page } = browser;
  const { requests, problems } = watch(page);
  try {
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForFunction(() => window.riskgraphReport?.charts);

    // Every canvas has a chart, and the chart drew something: count the pixels that are not
    // transparent.
    const canvases = await page.evaluate(() =>
      [...document.querySelectorAll('canvas[data-chart]')].map((c) => {
        const ctx = c.getContext('2d');
        const { data } = ctx.getImageData(0, 0, c.width, c.height);
        let inked = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) inked++;
        const section = c.closest('section');
        return { kind: c.className, dimension: section?.dataset.dimension, width: c.width, height: c.height, inked, dataURL: c.toDataURL().length };
      }),
    );
    assert.ok(canvases.length >= 2, `want at least two charts, got ${canvases.length}`);
    const dimensions = await page.locator('section.dimension').count();
    assert.equal(
      canvases.filter((c) => c.kind === 'histogram-chart').length,
      dimensions,
      'one score histogram per dimension',
    );
    for (const c of canvases) {
      assert.ok(c.width > 100 && c.height > 100, `${c.kind} of ${c.dimension} is ${c.width}×${c.height}`);
      assert.ok(c.inked > 1000, `${c.kind} of ${c.dimension} drew only ${c.inked} pixels`);
      assert.ok(c.dataURL > 3000, `${c.kind} of ${c.dimension} is a near-empty image (${c.dataURL} bytes as a data URL)`);
    }
    const chartCount = await page.evaluate(() => window.riskgraphReport.charts.length);
    assert.equal(chartCount, canvases.length, 'every canvas has its Chart.js chart');

    // The page's data is the report it shows.
    const data = await page.evaluate(() => window.riskgraphReport.data);
    assert.equal(await page.locator('#snapshot-id').textContent(), data.snapshot.id, 'snapshot id in the header');
    assert.equal(await page.locator('#as-of').textContent(), data.snapshot.asOf, 'as-of date in the header');

    // At least one exposure chain: boxes joined by labelled arrows.
    const chain = page.locator('#chains .chain').first();
    await chain.waitFor();
    assert.ok((await chain.locator('.chain-node').count()) >= 2, 'a chain has at least two boxes');
    const rel = chain.locator('.chain-link .rel').first();
    assert.match((await rel.textContent()) || '', /^[A-Z_]+$/, 'an arrow is labelled with a relationship type');
    const [from, arrow, to] = await Promise.all([
      chain.locator('.chain-node').nth(0).boundingBox(),
      chain.locator('.chain-link').nth(0).boundingBox(),
      chain.locator('.chain-node').nth(1).boundingBox(),
    ]);
    assert.ok(from && arrow && to && from.x + from.width <= arrow.x + 1 && arrow.x + arrow.width <= to.x + 1, 'the arrow lies between the two boxes it joins');

    // Obligations and data quality.
    await page.locator('#obligations h2').waitFor();
    assert.ok(
      (await page.locator('#obligations table.obligations tbody tr').count()) + (await page.locator('#obligations p.note').count()) >= 1,
      'obligations: a table or a note that none are due',
    );
    await page.locator('#data-quality table.counts').waitFor();
    assert.equal(await page.locator('#data-quality table.counts tbody tr').count(), 4, 'four data-quality counts');

    // It fits the window: no sideways scrolling at 1280 px.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the page is ${overflow} px wider than the window`);

    await screenshot(page, 'report.png');

    const foreign = requests.filter((u) => !local(u));
    assert.deepEqual(foreign, [], 'requests that left the file');
    assert.deepEqual(problems, [], 'console errors');
  } finally {
    await browser.close();
  }
});

test('without JavaScript the report still shows its tables', { timeout: testTimeout }, async (t) => {
  const url = reportURL();
  const browser = await openBrowser(t.signal, { width: 1280, height: 900, needsServer: false, javaScriptEnabled: false });
  const { page } = browser;
  const { requests } = watch(page);
  try {
    await page.goto(url, { waitUntil: 'load' });
    await page.locator('.no-charts').waitFor({ state: 'visible' });
    assert.ok(await page.locator('#data-quality table.counts').isVisible(), 'data-quality counts are shown');
    assert.ok(await page.locator('#obligations h2').isVisible(), 'the obligations section is shown');
    // A histogram's canvas shows its fallback table of counts.
    const fallback = page.locator('canvas.histogram-chart table').first();
    assert.ok(await fallback.isVisible(), 'the histogram falls back to a table');
    assert.equal(await page.locator('canvas.histogram-chart').first().locator('tbody tr').count(), 10, 'ten buckets');
    // The chains are plain HTML too.
    if ((await page.locator('#chains .chain-item').count()) > 0) {
      assert.ok(await page.locator('#chains .chain-node').first().isVisible(), 'chains are drawn without JavaScript');
    }
    await screenshot(page, 'report-no-js.png');
    assert.deepEqual(requests.filter((u) => !local(u)), [], 'requests that left the file');
  } finally {
    await browser.close();
  }
});
