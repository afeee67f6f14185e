// Pure formatting and comparison helpers of the dashboard (unit-tested
// under node, tests/dashboard/format.test.mjs). No DOM here.

// Status -> what the page shows besides colour: a symbol and a word.
const STATUS = {
  queued: { symbol: '…', label: 'queued' },
  running: { symbol: '▶', label: 'running' },
  succeeded: { symbol: '✓', label: 'succeeded' },
  failed: { symbol: '✗', label: 'failed' },
  cancelled: { symbol: '⊘', label: 'cancelled' },
  interrupted: { symbol: '!', label: 'interrupted' },
  skipped: { symbol: '–', label: 'skipped' },
  cached: { symbol: '≡', label: 'cached' },
  pending: { symbol: '○', label: 'pending' },
  triggered: { symbol: '→', label: 'triggered' },
  superseded: { symbol: '⤳', label: 'superseded' },
  ignored: { symbol: '–', label: 'ignored' },
};

export function statusInfo(status, cacheHit = false) {
  const key = cacheHit && status === 'succeeded' ? 'cached' : status;
  return { key: STATUS[key] ? key : 'unknown', ...(STATUS[key] || { symbol: '?', label: String(status) }) };
}

export function isTerminal(status) {
  return ['succeeded', 'failed', 'cancelled', 'interrupted'].includes(status);
}

// Milliseconds -> "850ms", "12.3s", "4m 05s", "2h 03m".
export function formatDuration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

// The span of a record with started_ms/finished_ms (0 = not yet); `now`
// for the ones still running.
export function spanOf(rec, now = Date.now()) {
  if (!rec || !rec.started_ms) return null;
  return (rec.finished_ms || now) - rec.started_ms;
}

export function formatTime(ms) {
  if (!ms) return '';
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function shortSha(sha) {
  return sha ? String(sha).slice(0, 12) : '';
}

// A JSON value as one line of text for a table cell.
export function formatValue(v) {
  if (v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

// Flattens a params object: {a: {b: 1}} -> {'a.b': 1}; arrays stay whole.
export function flattenParams(obj, prefix = '', out = {}) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    if (prefix) out[prefix] = obj;
    return out;
  }
  for (const [k, v] of Object.entries(obj)) flattenParams(v, prefix ? `${prefix}.${k}` : k, out);
  return out;
}

// The latest attempt of each stage of a run (by attempt number).
export function latestAttempts(stages) {
  const latest = new Map();
  for (const a of stages || []) {
    const have = latest.get(a.stage);
    if (!have || a.attempt > have.attempt) latest.set(a.stage, a);
  }
  return latest;
}

// What the comparison table shows for runs (each a full run from the API):
// rows of {section, name, values[], differs}; params as "stage.param",
// final metrics as "stage.key" (the value of the highest step), both from
// each stage's latest attempt. Rows are sorted by section then name.
export function compareRuns(runs) {
  const rows = new Map();
  const put = (section, name, i, value) => {
    const id = `${section}\u0000${name}`;
    if (!rows.has(id)) rows.set(id, { section, name, values: new Array(runs.length).fill(undefined) });
    rows.get(id).values[i] = value;
  };
  runs.forEach((run, i) => {
    put('run', 'pipeline', i, run.pipeline);
    put('run', 'status', i, run.status);
    put('run', 'commit', i, run.commit);
    for (const a of latestAttempts(run.stages).values()) {
      for (const [k, v] of Object.entries(flattenParams(a.params || {}))) put('param', `${a.stage}.${k}`, i, v);
      const last = new Map();
      for (const m of a.metrics || []) {
        const have = last.get(m.key);
        if (!have || m.step >= have.step) last.set(m.key, m);
      }
      for (const [k, m] of last) put('metric', `${a.stage}.${k}`, i, m.value);
    }
  });
  const order = { run: 0, param: 1, metric: 2 };
  return [...rows.values()]
    .map((r) => ({ ...r, differs: new Set(r.values.map((v) => JSON.stringify(v))).size > 1 }))
    .sort((a, b) => order[a.section] - order[b.section] || a.name.localeCompare(b.name));
}

// A pipeline's triggers (GET /api/v1/pipelines/{name}'s `on`) in words.
export function triggerText(on) {
  if (!on) return 'unknown';
  const parts = [];
  if (on.git_branches && on.git_branches.length) parts.push(`git ${on.git_branches.join(', ')}`);
  if (on.data && on.data.length) parts.push(`data ${on.data.map((p) => p.split('/').pop()).join(', ')}`);
  if (on.drift) parts.push('drift');
  return parts.length ? parts.join(' · ') : 'manual only';
}

// What a model's audit entries (newest first) say about its versions:
// which wait for approval (their newest entry is the request) and which
// were ever in production (only those can be rolled back to).
export function versionHistory(entries) {
  const newest = new Map();
  const wasProduction = new Set();
  for (const a of entries || []) {
    if (!newest.has(a.version)) newest.set(a.version, a.action);
    if (a.to === 'production' && ['promote', 'auto-promote', 'rollback'].includes(a.action)) wasProduction.add(a.version);
  }
  const pendingApproval = new Set([...newest].filter(([, action]) => action === 'approval.requested').map(([v]) => v));
  return { pendingApproval, wasProduction };
}

// Parses "#/runs/12?stage=train" -> {path: ['runs', '12'], query: {stage: 'train'}}.
export function parseHash(hash) {
  const raw = String(hash || '').replace(/^#\/?/, '');
  const [p, q = ''] = raw.split('?');
  const path = p.split('/').filter(Boolean).map(decodeURIComponent);
  const query = Object.fromEntries(new URLSearchParams(q));
  return { path, query };
}

export function buildHash(path, query = {}) {
  const q = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== ''));
  const s = q.toString();
  return `#/${path.map(encodeURIComponent).join('/')}${s ? `?${s}` : ''}`;
}
