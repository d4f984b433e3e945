// Real-browser tests of the explorer (/explore) against a running, seeded riskgraph
// (RISKGRAPH_URL): search a misspelt name, see the chain to the Russian Federation drawn,
// open a fact's source, move the date back to before BOD 17-01 and watch the regulatory
// exposure go, then forward again until it arrives; screen a 20-row supplier list with
// misspelt names; the API-key prompt; a narrow screen used with the keyboard.
//
// Run: RISKGRAPH_URL=http://127.0.0.1:8080 node --test e2e/   (scripts/browser-test.sh does it all)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { baseURL, openBrowser, screenshot, testTimeout, watch } from './browser.mjs';

// graphState reads what the graph draws, from the cytoscape instance the page exposes.
function graphState(page) {
  return page.evaluate(() => {
    const cy = window.riskgraphExplorer?.cy;
    if (!cy) return null;
    return {
      nodes: cy.nodes().map((n) => ({ id: n.id(), kind: n.data('kind'), classes: n.classes() })),
      edges: cy.edges().map((e) => ({ id: e.id(), source: e.source().id(), target: e.target().id(), dims: e.data('dims'), label: e.data('label') })),
    };
  });
}

// chainExists reports whether edges lead from one node to another (edges point the way
// risk flows).
function chainExists(g, from, to) {
  const seen = new Set([from]);
  const queue = [from];
  while (queue.length) {
    const n = queue.shift();
    if (n === to) return true;
    for (const e of g.edges) {
      if (e.source === n && !seen.has(e.target)) {
        seen.add(e.target);
        queue.push(e.target);
      }
    }
  }
  return false;
}

async function scoreOf(page, dimension) {
  const v = await page.locator(`.score-card[data-dimension="${dimension}"] .score-value`).getAttribute('data-score');
  return Number(v);
}

// clickEdge clicks an edge of the drawing where it is drawn: at its midpoint on screen.
async function clickEdge(page, id) {
  const point = await page.evaluate((edgeId) => {
    const cy = window.riskgraphExplorer.cy;
    const e = cy.getElementById(edgeId);
    const box = cy.container().getBoundingClientRect();
    const m = e.renderedMidpoint();
    return { x: box.left + m.x, y: box.top + m.y };
  }, id);
  await page.mouse.click(point.x, point.y);
}

const russia = 'government:russian-federation';
const kaspersky = 'vendor:kaspersky-lab';

test('search a misspelt name, see the chain to Russia, open a source, move the date', { timeout: testTimeout }, async (t) => {
  const browser = await openBrowser(t.signal, { width: 1280, height: 800 });
  const { page } = browser;
  const { requests, problems, foreign } = watch(page);
  try {
    const res = await page.goto(`${baseURL}/explore`);
    assert.equal(res?.status(), 200, 'GET /explore status');
    assert.match(res.headers()['content-security-policy'] || '', /script-src 'self'/, 'CSP');
    await page.locator('#search-input').waitFor();
    const timing = await page.evaluate(() => {
      const paint = Object.fromEntries(performance.getEntriesByType('paint').map((p) => [p.name, p.startTime]));
      const nav = performance.getEntriesByType('navigation')[0];
      return { firstPaint: paint['first-paint'], fcp: paint['first-contentful-paint'], domContentLoaded: nav?.domContentLoadedEventEnd, load: nav?.loadEventEnd };
    });
    const ms = (x) => (typeof x === 'number' ? `${x.toFixed(0)} ms` : 'n/a');
    console.log(
      `explore first paint: ${ms(timing.firstPaint)}, first contentful paint: ${ms(timing.fcp)}, DOMContentLoaded: ${ms(timing.domContentLoaded)}, load: ${ms(timing.load)}`,
    );
    assert.equal(await page.title(), 'riskgraph explorer');

    // Search, misspelt; the options are a listbox; pick Kaspersky Lab.
    await page.locator('#search-input').fill('kasperski');
    const option = page.locator('#search-results [role="option"]', { hasText: /^Kaspersky Lab/ });
    await option.first().waitFor({ state: 'visible' });
    await option.first().click();
    await page.locator('#entity-title', { hasText: 'Kaspersky Lab' }).waitFor();
    await page.waitForFunction((u) => new URL(window.location.href).searchParams.get('entity') === u, kaspersky);

    // The chain from the Russian Federation to Kaspersky Lab is drawn, the risk source marked.
    await page.waitForFunction(
      ([r]) => window.riskgraphExplorer?.cy?.getElementById(r).nonempty(),
      [russia],
    );
    let g = await graphState(page);
    const rf = g.nodes.find((n) => n.id === russia);
    assert.ok(rf.classes.includes('risk-source'), `the Russian Federation is not marked as a risk source: ${rf.classes}`);
    assert.ok(g.nodes.find((n) => n.id === kaspersky).classes.includes('focus'), 'Kaspersky Lab is not the explained entity');
    assert.ok(chainExists(g, russia, kaspersky), `no chain from ${russia} to ${kaspersky}: ${JSON.stringify(g.edges)}`);
    const enacted = g.edges.find((e) => e.source === russia);
    assert.match(enacted.label, /^ENACTED · 1\.00/, 'edge labelled by type and weight');
    // The Russian Federation is on screen, inside the drawing.
    const onScreen = await page.evaluate((r) => {
      const cy = window.riskgraphExplorer.cy;
      const p = cy.getElementById(r).renderedPosition();
      return p.x > 0 && p.y > 0 && p.x < cy.width() && p.y < cy.height();
    }, russia);
    assert.ok(onScreen, 'the Russian Federation is outside the drawing');
    assert.ok((await scoreOf(page, 'REGULATORY')) > 0, 'regulatory exposure today');
    assert.ok(g.edges.some((e) => e.dims.includes('REGULATORY')), 'regulatory chains drawn today');
    await screenshot(page, 'riskgraph-explore-kaspersky.png', { fullPage: false });

    // Click the edge from the Russian Federation: its facts, validity and sources.
    await clickEdge(page, enacted.id);
    const facts = page.locator('.details');
    await facts.locator('#facts-title', { hasText: 'ENACTED' }).waitFor();
    await facts.locator('.facts-list', { hasText: 'from 7 Jul 2003' }).waitFor();
    const citation = facts.locator('.citation').first();
    await citation.waitFor();
    assert.match(await citation.locator('.citation-meta').textContent(), /Russian Federation · 7 Jul 2003/, 'publisher and date');
    assert.match(await citation.locator('blockquote').textContent(), /\S/, 'excerpt');

    // Open the source: the Source entity with its publisher.
    const sourceName = (await citation.locator('.citation-head button').textContent()).trim();
    await citation.locator('.citation-head button').click();
    await facts.locator('#facts-title', { hasText: sourceName }).waitFor();
    await facts.locator('.facts-list', { hasText: 'publisher' }).waitFor();
    assert.match(await facts.locator('.facts-list').textContent(), /publisherRussian Federation/);
    await screenshot(page, 'riskgraph-explore-source.png', { fullPage: false });
    await facts.locator('button.back').click();
    await facts.locator('#facts-title', { hasText: 'ENACTED' }).waitFor();

    // Move the date to 2017-06-01, before BOD 17-01: the regulatory exposure is gone, the
    // chain from Russia stays. First the date field, then one day back and forth with the
    // slider's arrow keys.
    await page.locator('#asof-date').fill('2017-06-01');
    await page.locator('.timeline-label', { hasText: '1 Jun 2017' }).waitFor();
    const slider = page.locator('#asof-range');
    await slider.focus();
    await page.keyboard.press('ArrowLeft');
    await page.locator('.timeline-label', { hasText: '31 May 2017' }).waitFor();
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => new URL(window.location.href).searchParams.get('asOf') === '2017-06-01');
    await page.waitForFunction(
      () => document.querySelector('.score-card[data-dimension="REGULATORY"] .score-value')?.getAttribute('data-score') === '0',
    );
    g = await graphState(page);
    assert.deepEqual(g.edges.filter((e) => e.dims.includes('REGULATORY')), [], 'regulatory chains drawn on 2017-06-01');
    assert.ok(chainExists(g, russia, kaspersky), 'the chain from Russia is gone on 2017-06-01');
    assert.equal(await page.locator('.chain[data-dimension="REGULATORY"]').count(), 0, 'regulatory chains listed on 2017-06-01');
    assert.ok((await scoreOf(page, 'FOREIGN_INFLUENCE')) > 0, 'foreign influence on 2017-06-01');
    await screenshot(page, 'riskgraph-explore-2017-06-01.png', { fullPage: false });

    // Step forward through the key dates until BOD 17-01 takes effect: it arrives.
    const next = page.getByRole('button', { name: /Next key date/ });
    for (let i = 0; i < 12; i++) {
      if (new URL(page.url()).searchParams.get('asOf') >= '2017-09-13') break;
      const before = page.url();
      await next.click();
      await page.waitForFunction((u) => window.location.href !== u, before);
    }
    assert.equal(new URL(page.url()).searchParams.get('asOf'), '2017-09-13', 'a key date on the day BOD 17-01 was issued');
    await page.waitForFunction(
      () => Number(document.querySelector('.score-card[data-dimension="REGULATORY"] .score-value')?.getAttribute('data-score')) > 0,
    );
    await page.waitForFunction(() => window.riskgraphExplorer.cy.getElementById('directive:bod-17-01').nonempty());
    g = await graphState(page);
    assert.ok(chainExists(g, 'directive:bod-17-01', kaspersky), 'no chain from BOD 17-01 on 2017-09-13');
    assert.ok(g.nodes.find((n) => n.id === 'directive:bod-17-01').classes.includes('risk-source'));
    await screenshot(page, 'riskgraph-explore-2017-09-13.png');

    // Exports: the chains as CSV, the view as PNG.
    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export chains CSV' }).click()]);
    const csv = await readFile(await csvDownload.path(), 'utf8');
    assert.match(csv.split('\n')[0], /^entity_id,as_of,dimension,chain,strength/);
    assert.ok(csv.includes('directive:bod-17-01'), 'the chains CSV lists BOD 17-01');
    const [pngDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export PNG' }).click()]);
    const png = await readFile(await pngDownload.path());
    assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'the export is a PNG');

    // Expand a node's neighbours on demand: a bounded page of its relationships is added,
    // drawn dashed.
    const before = (await graphState(page)).nodes.length;
    await page.locator('.element-list summary').click();
    await page.locator('.element-list button', { hasText: /^(⚠ )?Kaspersky Lab$/ }).click();
    await facts.locator('#facts-title', { hasText: 'Kaspersky Lab' }).waitFor();
    await facts.getByRole('button', { name: 'Expand neighbours' }).click();
    await page.locator('.graph-toolbar', { hasText: `relationships of ${kaspersky} added` }).waitFor();
    g = await graphState(page);
    assert.ok(g.nodes.length > before && g.nodes.length <= before + 12, `expanding added ${g.nodes.length - before} entities`);
    assert.ok(
      await page.evaluate(() => window.riskgraphExplorer.cy.edges('.context').length > 0),
      'no neighbour edges drawn',
    );
    await page.evaluate(() => document.querySelector('.graph-panel').scrollIntoView({ block: 'start' }));
    await screenshot(page, 'riskgraph-explore-expanded.png', { fullPage: false });

    // A deep link opens the same view.
    await page.goto(`${baseURL}/explore?entity=${encodeURIComponent(kaspersky)}&asOf=2017-06-01`);
    await page.locator('#entity-title', { hasText: 'Kaspersky Lab' }).waitFor();
    await page.locator('.timeline-label', { hasText: '1 Jun 2017' }).waitFor();
    await page.waitForFunction(
      () => document.querySelector('.score-card[data-dimension="REGULATORY"] .score-value')?.getAttribute('data-score') === '0',
    );

    assert.deepEqual(foreign(), [], 'requests to anywhere but the server');
    assert.ok(requests.some((u) => u === `${baseURL}/graphql`), 'no GraphQL request');
    assert.deepEqual(problems, [], 'errors in the page');
  } finally {
    await browser.close();
  }
});

// A supplier list of 20 rows, with a header, misspelt names, a quoted comma, names nobody
// holds, an ambiguous one and a row with no name.
const supplierList = `Supplier Name,Country,Entity ID
Kasperski Lab,RU,
AO Kaspersky Labs,Russia,
kaspersky lab,RU,
Bestbuy,US,
Best Buy Co. Inc.,US,
Offfice Depot,US,
Stapels Inc,US,
Amazon.com Inc,US,
Amazn,US,
US Departmnt of Energy,US,
State Departement,US,
Department of Veterans Afairs,US,
Kaspersky Anti-Virus,RU,
Eugene Kasperskiy,RU,
"Acme Widgets, Ltd",GB,
Nobody Whatsoever GmbH,DE,
US Department,US,
,US,
Russian Federaton,RU,
Illustrative endpoint suite,,product:illustrative-affiliate-endpoint-suite
`;

// The entity each line should match (lines count the header as line 1).
const expected = {
  2: 'vendor:kaspersky-lab',
  3: 'vendor:kaspersky-lab',
  4: 'vendor:kaspersky-lab',
  5: 'retailer:best-buy',
  6: 'retailer:best-buy',
  7: 'retailer:office-depot',
  8: 'retailer:staples',
  9: 'retailer:amazon',
  10: 'retailer:amazon',
  11: 'organization:us-department-of-energy',
  12: 'organization:us-department-of-state',
  13: 'organization:us-department-of-veterans-affairs',
  14: 'product:kaspersky-anti-virus',
  15: 'person:eugene-kaspersky',
  20: 'government:russian-federation',
  21: 'product:illustrative-affiliate-endpoint-suite',
};

test('screen a 20-row supplier list with misspelt names and download the results', { timeout: testTimeout }, async (t) => {
  const browser = await openBrowser(t.signal, { width: 1280, height: 800 });
  const { page } = browser;
  const { problems, foreign } = watch(page);
  try {
    await page.goto(`${baseURL}/explore?view=screen&asOf=2017-12-20`);
    const panel = page.locator('#panel-screen');
    await panel.getByRole('heading', { name: 'Screen a supplier list' }).waitFor();
    // Upload the list as a file.
    await panel.getByLabel('Upload a CSV file').setInputFiles({ name: 'suppliers.csv', mimeType: 'text/csv', buffer: Buffer.from(supplierList) });
    await panel.locator('textarea').waitFor();
    assert.equal(await panel.locator('textarea').inputValue(), supplierList, 'the uploaded list is shown');
    await panel.getByLabel(/Your organisation/).fill('agency:illustrative-federal-bureau');
    await panel.getByRole('button', { name: 'Screen the list' }).click();
    await panel.locator('.screen-summary').waitFor({ timeout: 60_000 });

    const rows = await panel.locator('tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({ line: Number(tr.dataset.line), verdict: tr.dataset.verdict, match: tr.dataset.match, text: tr.textContent })),
    );
    assert.equal(rows.length, 20, 'every row is listed');
    assert.deepEqual(rows.map((r) => r.line), [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21], 'in the list order');
    const byLine = Object.fromEntries(rows.map((r) => [r.line, r]));
    for (const [line, id] of Object.entries(expected)) {
      assert.equal(byLine[line].verdict, 'MATCH', `line ${line}: ${byLine[line].text}`);
      assert.equal(byLine[line].match, id, `line ${line}`);
    }
    assert.equal(byLine[16].verdict, 'NONE', 'Acme Widgets, Ltd (a quoted comma) matches nothing');
    assert.match(byLine[16].text, /Acme Widgets, Ltd/);
    assert.equal(byLine[17].verdict, 'NONE', 'Nobody Whatsoever GmbH matches nothing');
    assert.equal(byLine[18].verdict, 'AMBIGUOUS', 'US Department is ambiguous');
    assert.match(byLine[18].text, /or US Department of/, 'the runner-up is shown');
    assert.equal(byLine[19].verdict, '', 'the row with no name is not screened');
    assert.match(byLine[19].text, /the row has no name/);
    // Exposure, top path and compliance of a matched row.
    assert.match(byLine[2].text, /REG 0.90: Kaspersky Lab ←TARGETS← BOD 17-01/, 'top path of Kaspersky Lab: the strongest chain over every dimension');
    assert.match(byLine[2].text, /BOD 17-01: overdue · covers it/, 'BOD 17-01 covers Kaspersky Lab; the bureau is overdue on 2017-12-20');
    assert.match(await panel.locator('.screen-summary').textContent(), /20 rows: 16 match 1 ambiguous 2 no match 1 with errors/);
    await screenshot(page, 'riskgraph-explore-screening.png');

    // Download the results: the CLI's CSV columns and JSON shape.
    const [csvFile] = await Promise.all([page.waitForEvent('download'), panel.getByRole('button', { name: 'Download CSV' }).click()]);
    const csv = (await readFile(await csvFile.path(), 'utf8')).trimEnd().split('\n');
    assert.equal(
      csv[0],
      'line,input_name,input_country,input_id,verdict,match_id,match_name,match_kind,match_score,match_reason,runner_up_id,runner_up_name,runner_up_score,' +
        'exposure_foreign_influence,exposure_regulatory,exposure_sanctions,exposure_reputational,exposure_operational,' +
        'top_path_dimension,top_path_strength,top_path,top_path_ids,compliance,covered_by,error',
    );
    assert.equal(csv.length, 21, 'a header and 20 rows');
    assert.match(csv[1], /^2,Kasperski Lab,RU,,MATCH,vendor:kaspersky-lab,Kaspersky Lab,Vendor,\d\.\d{4},/);
    assert.match(csv[15], /^16,"Acme Widgets, Ltd",GB,,NONE,/);
    const [jsonFile] = await Promise.all([page.waitForEvent('download'), panel.getByRole('button', { name: 'Download JSON' }).click()]);
    const report = JSON.parse(await readFile(await jsonFile.path(), 'utf8'));
    assert.equal(report.asOf, '2017-12-20');
    assert.equal(report.rows.length, 20);
    assert.deepEqual(report.summary, { rows: 20, match: 16, ambiguous: 1, none: 2, errors: 1 });
    assert.equal(report.organization.id, 'agency:illustrative-federal-bureau');
    const k = report.rows[0];
    assert.equal(k.matches[0].id, 'vendor:kaspersky-lab');
    assert.equal(k.exposure.length, 5);
    assert.ok(k.exposure.find((e) => e.dimension === 'REGULATORY').score > 0.9, 'full-precision regulatory score');
    assert.ok(k.compliance.some((c) => c.ruleId === 'directive:bod-17-01' && c.covers));

    assert.deepEqual(foreign(), [], 'requests to anywhere but the server');
    assert.deepEqual(problems, [], 'errors in the page');
  } finally {
    await browser.close();
  }
});

test('with API keys on, the page asks for a key and keeps it in sessionStorage only', { timeout: testTimeout }, async (t) => {
  const browser = await openBrowser(t.signal, { width: 1280, height: 800 });
  const { page } = browser;
  // The seeded test server runs without keys; this stands in for one with keys: a request
  // without the right key gets the server's 401 UNAUTHENTICATED answer, the others go on.
  const key = 'rgk_browser-test-key';
  let refused = 0;
  await page.route(`${baseURL}/graphql`, async (route) => {
    if (route.request().headers().authorization === `Bearer ${key}`) return route.continue();
    refused++;
    return route.fulfill({
      status: 401,
      contentType: 'application/json',
      headers: { 'WWW-Authenticate': 'Bearer realm="riskgraph"' },
      body: JSON.stringify({
        errors: [{ message: 'a valid API key is required: send Authorization: Bearer <key>', extensions: { code: 'UNAUTHENTICATED' } }],
      }),
    });
  });
  try {
    await page.goto(`${baseURL}/explore?entity=vendor:kaspersky-lab&asOf=2017-12-20`);
    const dialog = page.getByRole('dialog', { name: 'API key needed' });
    await dialog.waitFor();
    await dialog.getByLabel('API key').fill('rgk_wrong');
    await dialog.getByRole('button', { name: 'Use this key' }).click();
    await dialog.getByText('The server refused that key').waitFor();
    await screenshot(page, 'riskgraph-explore-key.png', { fullPage: false });
    await dialog.getByLabel('API key').fill(key);
    await dialog.getByRole('button', { name: 'Use this key' }).click();
    await page.locator('#entity-title', { hasText: 'Kaspersky Lab' }).waitFor();
    assert.ok(refused >= 2, 'requests without the key were refused');
    const stored = await page.evaluate(() => ({
      session: sessionStorage.getItem('riskgraph.apiKey'),
      local: JSON.stringify({ ...localStorage }),
      cookie: document.cookie,
    }));
    assert.equal(stored.session, key, 'the key is in sessionStorage');
    assert.ok(!stored.local.includes(key) && !stored.cookie.includes(key), 'the key is nowhere else');
    // A reload in the same tab keeps the key: no prompt.
    await page.reload();
    await page.locator('#entity-title', { hasText: 'Kaspersky Lab' }).waitFor();
    assert.equal(await dialog.isVisible(), false, 'asked again after a reload');
    // Forgetting it removes it.
    await page.getByRole('button', { name: 'Forget API key' }).click();
    await dialog.waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('riskgraph.apiKey')), null);
  } finally {
    await browser.close();
  }
});

test('on a narrow screen the explorer stacks up and works from the keyboard', { timeout: testTimeout }, async (t) => {
  const browser = await openBrowser(t.signal, { width: 390, height: 844 });
  const { page } = browser;
  const { problems } = watch(page);
  try {
    await page.goto(`${baseURL}/explore?asOf=2017-09-01`);
    await page.locator('#search-input').focus();
    await page.keyboard.type('best buy');
    await page.locator('#search-results [role="option"]', { hasText: 'Best Buy' }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('#entity-title', { hasText: 'Best Buy' }).waitFor();
    await page.waitForFunction(() => window.riskgraphExplorer.cy.getElementById('product:kaspersky-anti-virus').nonempty());
    // No sideways scrolling of the page.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
    // A chain step, reached and pressed from the keyboard, shows its facts.
    const step = page.locator('.chain .step-edge', { hasText: 'SELLS' }).first();
    await step.focus();
    await page.keyboard.press('Enter');
    await page.locator('.details #facts-title', { hasText: 'SELLS' }).waitFor();
    await page.locator('.details .facts-list', { hasText: 'until 8 Sep 2017' }).waitFor();
    await screenshot(page, 'riskgraph-explore-narrow.png');
    assert.deepEqual(problems, [], 'errors in the page');
  } finally {
    await browser.close();
  }
});
