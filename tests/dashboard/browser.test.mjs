// The dashboard in a real headless Chromium (Debian's, driven by npm's
// playwright-core) against the real mlopsd after it ran a real model
// pipeline (the trainer on iris, few epochs): sign in, runs, the stage
// graph, a stage log, the loss curve's points, run comparison, lineage from
// the model, promotion as admin with the audit entry, the viewer's missing
// button and 403, and payloads in logs, params and reasons staying text.
// Screenshots of each view go to $MLOPS_SCREENSHOT_DIR.
// Skips (exit 77) when chromium or playwright-core is not installed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Daemon, waitFor } from './daemon.mjs';

const CHROMIUM = process.env.MLOPS_CHROMIUM || '/usr/bin/chromium';
const require = createRequire(import.meta.url);
let playwright;
try {
  playwright = require(join(process.env.MLOPS_SOURCE_DIR, '.tools/node/node_modules/playwright-core'));
} catch {
  playwright = null;
}
if (!existsSync(CHROMIUM) || !playwright) {
  console.log(`SKIP: ${!playwright ? 'playwright-core (scripts/install-node-tools.sh)' : CHROMIUM} is not installed`);
  process.exit(77);
}

const EPOCHS1 = 30;
const EPOCHS2 = 20;
const IRIS = '/usr/lib/python3/dist-packages/sklearn/datasets/data/iris.csv';
const XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
const SHOTS = process.env.MLOPS_SCREENSHOT_DIR || join(process.cwd(), 'dashboard-screenshots');

function pipelineYaml(epochs) {
  return `version: 1
name: dash-mlp
on:
  data: [${IRIS}]
stages:
  - name: train
    uses: trainer
    inputs: [${IRIS}]
    with:
      data: { path: ${IRIS}, format: sklearn }
      split: { seed: 7, validation: 0.2, test: 0.2 }
      layers: 1
      hidden: 16
      epochs: ${epochs}
      patience: 0
      lr: 0.05
      seed: 7
  - name: evaluate
    uses: evaluator
    needs: [train]
    with:
      gates: { accuracy: ">= 0.6" }
  - name: sign
    uses: signer
    needs: [train]
    inputs: [model.mlp]
  - name: note
    uses: exec
    needs: [train]
    run: /bin/sh -c 'echo "$NOTE"; echo "line two"'
    env: { NOTE: '${XSS}' }
model:
  name: dash-mlp
  artifact: train.model.mlp
  promote: { staging: on_gates, production: manual }
`;
}

// A run that waits for the test: `slow` prints ticks until RELEASE exists.
function livePipelineYaml(release) {
  return `version: 1
name: dash-live
stages:
  - name: slow
    uses: exec
    run: /bin/sh -c 'i=0; while [ ! -e ${release} ]; do i=$((i+1)); echo "tick $i"; sleep 0.2; done; echo released'
  - name: after
    uses: exec
    needs: [slow]
    run: /bin/true
`;
}

const d = new Daemon();
let browser;
let run1;
let run2;
let viewerToken;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  writeFileSync(join(d.pipelines, 'dash.yaml'), pipelineYaml(EPOCHS1));
  // A watched repository whose URL carries the payload: its poll fails and
  // the error, quoting the URL, is shown on the repositories page.
  await d.start(`repositories:\n  - name: xss-repo\n    url: '${join(d.dir, 'no-repo', XSS.replace(/'/g, "''"))}'\n    poll_interval: 1s\n`);
  run1 = await d.runPipeline('dash-mlp', { reason: `first ${XSS}` });
  assert.equal(run1.status, 'succeeded', `${run1.error}\n${d.log()}`);
  writeFileSync(join(d.pipelines, 'dash.yaml'), pipelineYaml(EPOCHS2));
  writeFileSync(join(d.pipelines, 'live.yaml'), livePipelineYaml(join(d.dir, 'release')));
  assert.equal((await d.call('POST', '/api/v1/pipelines/reload', {})).status, 200);
  run2 = await d.runPipeline('dash-mlp', { reason: 'second, fewer epochs' });
  assert.equal(run2.status, 'succeeded', run2.error);
  const tok = await d.call('POST', '/api/v1/tokens', { name: 'watcher', role: 'viewer' });
  assert.equal(tok.status, 201, tok.text);
  viewerToken = tok.json.token;
  browser = await playwright.chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
});

after(async () => {
  if (browser) await browser.close();
  await d.stop();
});

// A page with a flag for any script the data might run, and a count of
// Content-Security-Policy violations (an injected inline script would
// raise one).
async function openPage(token) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__xss = 0;
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(e.violatedDirective));
  });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.errors = errors;
  await page.goto(d.url + '/');
  await page.fill('#token', token);
  await page.click('form.login button[type=submit]');
  await page.waitForSelector('#who button[data-action=logout]');
  return page;
}

async function assertInert(page) {
  assert.equal(await page.evaluate(() => window.__xss), 0, 'a payload ran');
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
  assert.equal(await page.locator('main img, main script').count(), 0, 'a payload became markup');
  assert.deepEqual(page.errors, []);
}

const shot = (page, name) => page.screenshot({ path: join(SHOTS, `${name}.png`) });

test('the static files carry a strict CSP, types and caching headers', async () => {
  const index = await d.call('GET', '/', undefined, '');
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type'), /^text\/html/);
  assert.match(index.headers.get('content-security-policy'), /script-src 'self';/);
  assert.doesNotMatch(index.headers.get('content-security-policy'), /unsafe-inline/);
  assert.equal(index.headers.get('cache-control'), 'no-cache');
  const js = await d.call('GET', '/ui/app.mjs', undefined, '');
  assert.match(js.headers.get('content-type'), /^text\/javascript/);
  const again = await fetch(`${d.url}/ui/app.mjs`, { headers: { 'If-None-Match': js.headers.get('etag') } });
  assert.equal(again.status, 304);
  assert.equal((await d.call('GET', '/ui/nothing.js', undefined, '')).status, 404);
  assert.equal((await d.call('GET', '/api/v1/runs', undefined, '')).status, 401);
});

test('the metric series of a run: listed, bucketed to max_points with min/max/last, bounds refused', async () => {
  const list = await d.call('GET', `/api/v1/runs/${run1.id}/metrics`);
  assert.equal(list.status, 200, list.text);
  const loss = list.json.series.find((s) => s.stage === 'train' && s.key === 'loss');
  assert.equal(loss.total_points, EPOCHS1);
  const all = run1.stages.find((a) => a.stage === 'train').metrics.filter((m) => m.key === 'loss')
    .sort((a, b) => a.step - b.step).map((m) => m.value);
  assert.equal(loss.last, all[all.length - 1]);
  const b = await d.call('GET', `/api/v1/runs/${run1.id}/metrics?key=loss&max_points=7`);
  const pts = b.json.series[0].points;
  assert.equal(pts.length, 7);
  // Bucket i holds the points floor(i*n/7) .. floor((i+1)*n/7)-1.
  pts.forEach(([step, last, min, max], i) => {
    const part = all.slice(Math.floor((i * EPOCHS1) / 7), Math.floor(((i + 1) * EPOCHS1) / 7));
    assert.equal(step, Math.floor(((i + 1) * EPOCHS1) / 7));
    assert.equal(last, part[part.length - 1]);
    assert.equal(min, Math.min(...part));
    assert.equal(max, Math.max(...part));
  });
  for (const bad of ['0', '1501', 'x']) {
    assert.equal((await d.call('GET', `/api/v1/runs/${run1.id}/metrics?key=loss&max_points=${bad}`)).status, 400, bad);
  }
  assert.equal((await d.call('GET', '/api/v1/runs/999/metrics')).status, 404);
  const p = await d.call('GET', '/api/v1/pipelines/dash-mlp');
  assert.deepEqual(p.json.on, { git_branches: [], data: [IRIS], drift: null });
  assert.equal(run1.data_versions.length, 1);
  assert.equal(run1.data_versions[0].path, IRIS);
  assert.deepEqual(p.json.stages.map((s) => [s.name, s.needs]),
    [['train', []], ['evaluate', ['train']], ['sign', ['train']], ['note', ['train']]]);
});

test('sign in keeps the token out of the URL and the log; pipelines and runs list', async () => {
  const page = await openPage(d.adminToken);
  assert.ok(!page.url().includes(d.adminToken));
  assert.equal(await page.evaluate(() => sessionStorage.getItem('mlopsd.token')), d.adminToken);
  await page.waitForSelector('li.card[data-pipeline="dash-mlp"] button[data-action=run]');
  assert.equal(await page.locator('li.card[data-pipeline="dash-mlp"] .triggers').textContent(), 'Triggers: data iris.csv');
  assert.equal(await page.locator('li.card[data-pipeline="dash-live"] .triggers').textContent(), 'Triggers: manual only');
  await shot(page, 'pipelines');
  await page.goto(`${d.url}/#/runs?pipeline=dash-mlp`);
  await page.waitForSelector(`tr[data-run="${run1.id}"]`);
  assert.match(await page.locator(`tr[data-run="${run1.id}"] .reason`).textContent(), /<img src=x/);
  await shot(page, 'runs');
  await page.selectOption('#f-status', 'failed');
  await page.click('form.filters button[type=submit]');
  await page.waitForFunction(() => location.hash === '#/runs?pipeline=dash-mlp&status=failed');
  await page.waitForSelector('text=No runs match.');
  await assertInert(page);
  assert.ok(!d.log().includes(d.adminToken), 'the token reached the daemon log');
  await page.context().close();
});

test('the run page draws the stage graph, a stage log and the loss curve', async () => {
  const page = await openPage(d.adminToken);
  await page.goto(`${d.url}/#/runs/${run1.id}`);
  for (const stage of ['train', 'evaluate', 'sign', 'note']) {
    const node = page.locator(`svg.graph [data-id="stage:${stage}"]`);
    await node.waitFor();
    assert.equal(await node.getAttribute('data-status'), 'succeeded', stage);
  }
  assert.equal(await page.locator('svg.graph path.edge').count(), 3);
  assert.equal(await page.locator('.data-versions a').textContent(), `iris.csv (${run1.data_versions[0].sha256.slice(0, 12)})`);
  // The loss curve: the chart's points are the run's per-epoch losses.
  await page.waitForSelector('figure.chart .plot canvas');
  const rows = await page.locator('table.chart-data tr[data-series="train#1 loss"]').evaluateAll(
    (trs) => trs.map((tr) => [Number(tr.cells[1].textContent), Number(tr.cells[2].textContent)]));
  const train = run1.stages.find((a) => a.stage === 'train');
  const losses = train.metrics.filter((m) => m.key === 'loss').sort((a, b) => a.step - b.step);
  assert.equal(rows.length, EPOCHS1);
  assert.deepEqual(rows.map((r) => r[0]), losses.map((m) => m.step));
  rows.forEach((r, i) => assert.ok(Math.abs(r[1] - losses[i].value) <= 1e-5 * Math.max(1, Math.abs(losses[i].value))));
  const drawn = await page.evaluate(() => document.querySelector('figure.chart').chart.data[1].filter((v) => v !== null).length);
  assert.equal(drawn, EPOCHS1);
  await shot(page, 'run');
  // Keyboard: the stage node is a link; Enter opens the stage.
  await page.focus('svg.graph [data-id="stage:note"]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('pre.log');
  await waitFor('the log', async () => (await page.locator('pre.log').textContent()).includes('line two'), 20000);
  const log = await page.locator('pre.log').textContent();
  assert.ok(log.includes('<img src=x onerror='), log);
  assert.match(await page.locator('table.params').textContent(), /<script>window.__xss=2<\/script>/);
  await page.locator('pre.log').scrollIntoViewIfNeeded();
  await shot(page, 'stage-log');
  await assertInert(page);
  await page.context().close();
});

test('a run started with the Run button is followed live: node colours and the log change in place', async () => {
  const page = await openPage(d.adminToken);
  await page.evaluate(() => { window.__samePage = true; });
  await page.click('li.card[data-pipeline="dash-live"] button[data-action=run]');
  await page.waitForFunction(() => /^#\/runs\/\d+$/.test(location.hash));
  await page.waitForSelector('svg.graph [data-id="stage:slow"][data-status="running"]', { timeout: 60000 });
  assert.equal(await page.locator('svg.graph [data-id="stage:after"]').getAttribute('data-status'), 'pending');
  await page.locator('svg.graph [data-id="stage:slow"]').click();
  await page.waitForFunction(() => /tick 3\b/.test(document.querySelector('pre.log')?.textContent || ''), null, { timeout: 60000 });
  await page.locator('pre.log').scrollIntoViewIfNeeded();
  await shot(page, 'run-live');
  writeFileSync(join(d.dir, 'release'), '');
  await page.waitForSelector('svg.graph [data-id="stage:after"][data-status="succeeded"]', { timeout: 60000 });
  assert.equal(await page.locator('svg.graph [data-id="stage:slow"]').getAttribute('data-status'), 'succeeded');
  await page.waitForSelector('tr[data-stage="after"] .badge.status-succeeded', { timeout: 30000 });
  await page.waitForFunction(() => document.querySelector('pre.log').textContent.includes('released'), null, { timeout: 30000 });
  await page.waitForFunction(() => document.querySelector('.run-badge').textContent.includes('succeeded'), null, { timeout: 30000 });
  assert.equal(await page.evaluate(() => window.__samePage), true, 'the page was reloaded');
  await assertInert(page);
  await page.context().close();
});

test('repositories and data versions: the error of a failing repository stays text', async () => {
  const page = await openPage(d.adminToken);
  await page.goto(`${d.url}/#/sources`);
  await page.waitForSelector('tr[data-repo="xss-repo"]');
  await waitFor('the poll error', async () => {
    await page.goto(`${d.url}/#/sources?t=${Date.now()}`);
    await page.waitForSelector('tr[data-repo="xss-repo"]');
    return (await page.locator('tr[data-repo="xss-repo"] .last-error').textContent()).includes('<img src=x');
  }, 60000, 500);
  assert.equal(await page.locator('table.data tr[data-version]').count(), 1);
  assert.match(await page.locator('table.data').textContent(), /iris\.csv/);
  await shot(page, 'sources');
  await page.locator('tr[data-repo="xss-repo"] a').click();
  await page.waitForSelector('#h-repo');
  assert.match(await page.locator('.last-error').textContent(), /<img src=x onerror=/);
  await assertInert(page);
  await page.context().close();
});

test('100 series of 1,500 points (the most the server sends per series) draw in one chart', async () => {
  const page = await openPage(d.adminToken);
  const r = await page.evaluate(async () => {
    const { renderChart } = await import('/ui/chart.mjs');
    const series = [];
    for (let s = 0; s < 100; s++) {
      const points = [];
      for (let i = 1; i <= 1500; i++) points.push([i * 66, Math.sin(i / 50 + s) + s / 10, 0, 0]);
      series.push({ label: `s${s}`, points });
    }
    const t0 = performance.now();
    const fig = renderChart(series, { title: 'load' });
    document.getElementById('main').replaceChildren(fig);
    await new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res)));
    return { ms: performance.now() - t0, arrays: fig.chart.data.length, steps: fig.chart.data[0].length,
      summaryRows: fig.querySelectorAll('table.chart-summary tbody tr').length };
  });
  console.log(`chart of 100 x 1500 points drawn in ${r.ms.toFixed(0)} ms (headless chromium, this machine)`);
  assert.equal(r.arrays, 101);
  assert.equal(r.steps, 1500);
  assert.equal(r.summaryRows, 100);
  await page.context().close();
});

test('two runs compare with their differences marked', async () => {
  const page = await openPage(d.adminToken);
  await page.goto(`${d.url}/#/runs`);
  await page.check(`input[data-run="${run1.id}"]`);
  await page.check(`input[data-run="${run2.id}"]`);
  await page.click('button[data-action=compare]');
  await page.waitForSelector('table.compare');
  const epochs = page.locator('table.compare tr[data-name="train.epochs"]');
  assert.equal(await epochs.getAttribute('class'), 'differs');
  assert.deepEqual(await epochs.locator('td').allTextContents(), ['≠', String(EPOCHS1), String(EPOCHS2)]);
  assert.equal(await page.locator('table.compare tr[data-name="train.seed"]').getAttribute('class'), '');
  await page.waitForSelector('figure.chart .plot canvas');
  assert.equal(await page.locator(`table.chart-data tr[data-series="#${run2.id} train loss"]`).count(), EPOCHS2);
  await shot(page, 'compare');
  await page.context().close();
});

test('the model leads to its lineage graph; an admin promotes with a reason and sees the audit entry', async () => {
  const page = await openPage(d.adminToken);
  await page.goto(`${d.url}/#/models/dash-mlp`);
  const v1 = page.locator('tr[data-version="1"]');
  await v1.waitFor();
  await shot(page, 'model');
  await v1.locator('a[data-action=lineage]').click();
  await page.waitForSelector('svg.graph');
  const model = (await d.call('GET', '/api/v1/models/dash-mlp')).json.versions.find((v) => v.version === 1);
  assert.ok(await page.locator(`svg.graph [data-id="artifact:${model.artifact_sha256}"]`).count() === 1);
  assert.ok(await page.locator('svg.graph [data-id^="attempt:"]').count() >= 1);
  assert.equal(await page.locator('svg.graph a.node[aria-label^="iris.csv"]').count(), 1, 'the data file');
  assert.ok(await page.locator('svg.graph [data-id^="data:"]').count() >= 1, 'the data version');
  assert.ok(await page.locator('svg.graph path.edge').count() >= 2);
  await shot(page, 'lineage');
  // Promote the staged versions to production, each with a reason; then
  // roll back to the first, the only kind of version a rollback accepts.
  await page.goto(`${d.url}/#/models/dash-mlp`);
  const v2 = page.locator('tr[data-version="2"]');
  const act = async (row, action, reason, stage) => {
    assert.equal(await row.locator('button[data-action=rollback]').count(), action === 'rollback' ? 1 : 0);
    await row.locator(`button[data-action=${action}]`).click();
    await page.fill('#reason-input', reason);
    await page.click('dialog.reason-dialog button[value=ok]');
    await waitFor(stage, async () => (await row.locator('.stage').textContent()) === stage, 20000);
  };
  await act(v1, 'promote-production', `release ${XSS}`, 'production');
  const entry = page.locator('table.audit tr[data-action=promote]', { hasText: 'release <img src=x' });
  await entry.first().waitFor();
  assert.match(await entry.first().textContent(), /v1.*staging.*production/);
  await act(v2, 'promote-production', 'better loss', 'production');
  await act(v1, 'rollback', 'back to the first', 'production');
  assert.equal(await v2.locator('.stage').textContent(), 'archived');
  await page.locator('table.audit tr[data-action=rollback]', { hasText: 'back to the first' }).waitFor();
  await shot(page, 'audit');
  await assertInert(page);
  await page.context().close();
});

test('a viewer sees no promote or run button and is refused when forcing the request', async () => {
  const page = await openPage(viewerToken);
  await page.waitForSelector('li.card[data-pipeline="dash-mlp"]');
  assert.equal(await page.locator('button[data-action=run]').count(), 0);
  await page.goto(`${d.url}/#/models/dash-mlp`);
  await page.waitForSelector('tr[data-version="1"]');
  assert.equal(await page.locator('td.buttons button').count(), 0);
  const status = await page.evaluate(async (token) => (await fetch('/api/v1/models/dash-mlp/versions/1/promote', {
    method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ to: 'production', reason: 'forced', request_id: 'viewer-1' }),
  })).status, viewerToken);
  assert.equal(status, 403);
  await page.context().close();
});
