import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildHash, compareRuns, triggerText, versionHistory, flattenParams, formatDuration, formatValue, latestAttempts, parseHash, statusInfo,
} from '../../dashboard/format.mjs';

test('durations read as a person would say them', () => {
  assert.equal(formatDuration(850), '850ms');
  assert.equal(formatDuration(12345), '12.3s');
  assert.equal(formatDuration(245000), '4m 05s');
  assert.equal(formatDuration(7380000), '2h 03m');
  assert.equal(formatDuration(null), '');
  assert.equal(formatDuration(-1), '');
});

test('every status has a symbol and a word besides its colour; a cache hit reads as cached', () => {
  assert.deepEqual(statusInfo('failed'), { key: 'failed', symbol: '✗', label: 'failed' });
  assert.equal(statusInfo('succeeded', true).key, 'cached');
  assert.equal(statusInfo('weird').key, 'unknown');
  assert.equal(statusInfo('weird').label, 'weird');
});

test('params flatten to dotted keys, arrays whole', () => {
  assert.deepEqual(flattenParams({ a: 1, b: { c: 'x', d: [1, 2] } }), { a: 1, 'b.c': 'x', 'b.d': [1, 2] });
  assert.equal(formatValue(0.1 + 0.2), '0.3');
  assert.equal(formatValue([1, 2]), '[1,2]');
});

test('the latest attempt of each stage wins', () => {
  const m = latestAttempts([{ stage: 't', attempt: 1 }, { stage: 't', attempt: 2 }, { stage: 'e', attempt: 1 }]);
  assert.equal(m.get('t').attempt, 2);
  assert.equal(m.size, 2);
});

test('the comparison marks differing params and final metrics (the highest step)', () => {
  const run = (id, epochs, loss) => ({
    id, pipeline: 'p', status: 'succeeded', commit: '',
    stages: [{ stage: 'train', attempt: 1, params: { epochs, seed: 7 },
      metrics: [{ key: 'loss', step: 2, value: loss }, { key: 'loss', step: 1, value: 9 }] }],
  });
  const rows = compareRuns([run(1, 12, 0.5), run(2, 8, 0.5)]);
  const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
  assert.equal(byName['train.epochs'].differs, true);
  assert.deepEqual(byName['train.epochs'].values, [12, 8]);
  assert.equal(byName['train.seed'].differs, false);
  assert.deepEqual(byName['train.loss'].values, [0.5, 0.5]);
  assert.deepEqual(rows.map((r) => r.section), ['run', 'run', 'run', 'param', 'param', 'metric']);
});

test('hash routes round-trip, names with odd characters included', () => {
  const h = buildHash(['runs', '12'], { stage: 'a b/c', empty: '' });
  assert.equal(h, '#/runs/12?stage=a+b%2Fc');
  assert.deepEqual(parseHash(h), { path: ['runs', '12'], query: { stage: 'a b/c' } });
  assert.deepEqual(parseHash(''), { path: [], query: {} });
});

test('audit entries tell which versions wait for approval and which were ever in production', () => {
  const h = versionHistory([  // newest first
    { version: 3, action: 'approval.requested', to: 'production' },
    { version: 2, action: 'promote', to: 'production' },
    { version: 4, action: 'promote.refused', to: 'production' },
    { version: 1, action: 'approval.requested', to: 'production' },
    { version: 1, action: 'auto-promote', to: 'production' },
    { version: 5, action: 'auto-promote', to: 'staging' },
  ]);
  assert.deepEqual([...h.pendingApproval].sort(), [1, 3]);
  assert.deepEqual([...h.wasProduction].sort(), [1, 2]);
});

test('triggers read in words', () => {
  assert.equal(triggerText({ git_branches: ['main', 'dev'], data: ['/d/iris.csv'], drift: { measure: 'psi' } }),
    'git main, dev · data iris.csv · drift');
  assert.equal(triggerText({ git_branches: [], data: [], drift: null }), 'manual only');
  assert.equal(triggerText(undefined), 'unknown');
});
