// Models: the list, and one model's versions with stage, aliases,
// signature, gates and metrics, provenance, and the promote / approve /
// rollback buttons of the roles that may use them (each asks a reason);
// the daemon checks every role again. The audit log, filterable by model.
import { api, enc, q } from './api.mjs';
import { h } from './dom.mjs';
import { formatTime, formatValue, shortSha, versionHistory } from './format.mjs';
import { errorBox, askReason, link, may } from './ui.mjs';

export async function modelsView() {
  const { models } = await api.get('/api/v1/models');
  return h('section', { 'aria-labelledby': 'h-models' }, h('h1', { id: 'h-models' }, 'Models'),
    models.length ? h('table', {},
      h('thead', {}, h('tr', {}, ['model', 'pipeline', 'production', 'latest', 'created'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, models.map((m) => h('tr', {},
        h('td', {}, link(`#/models/${enc(m.name)}`, m.name)), h('td', {}, m.pipeline),
        h('td', {}, m.production_version ? `v${m.production_version}` : '—'), h('td', {}, `v${m.latest_version}`),
        h('td', {}, formatTime(m.created_ms))))))
      : h('p', {}, 'No model is registered yet.'));
}

export async function modelView(ctx) {
  const name = ctx.route.path[1];
  const [model, audit] = await Promise.all([
    api.get(`/api/v1/models/${enc(name)}`),
    api.get(`/api/v1/audit${q({ model: name, limit: 500 })}`),
  ]);
  const status = h('p', { class: 'action-status', role: 'status' });
  const act = async (title, path, body) => {
    const reason = await askReason(title);
    if (reason === null) return;
    try {
      await api.post(path, { ...body(reason) });
      ctx.rerender();
    } catch (e) {
      status.replaceChildren(errorBox(e));
    }
  };
  const versions = model.versions || [];
  const history = versionHistory(audit.entries);
  const prod = model.production_version || 0;
  const rows = versions.map((v) => {
    const base = `/api/v1/models/${enc(name)}/versions/${v.version}`;
    const buttons = [];
    const rid = () => `dash-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    if (v.stage !== 'staging' && v.stage !== 'production' && may(ctx.role, 'operator')) {
      buttons.push(h('button', { type: 'button', 'data-action': 'promote-staging', onclick: () => act(`Promote v${v.version} to staging`, `${base}/promote`, (reason) => ({ to: 'staging', reason, request_id: rid() })) }, 'Promote to staging'));
    }
    if (v.stage !== 'production' && may(ctx.role, 'admin')) {
      buttons.push(h('button', { type: 'button', class: 'primary', 'data-action': 'promote-production', onclick: () => act(`Promote v${v.version} to production`, `${base}/promote`, (reason) => ({ to: 'production', reason, request_id: rid(), expected_production: prod })) }, 'Promote to production'));
    }
    if (history.pendingApproval.has(v.version) && may(ctx.role, 'admin')) {
      buttons.push(h('button', { type: 'button', 'data-action': 'approve', onclick: () => act(`Approve v${v.version}`, `${base}/approve`, () => ({})) }, 'Approve'));
    }
    if (v.stage !== 'production' && history.wasProduction.has(v.version) && may(ctx.role, 'admin')) {
      buttons.push(h('button', { type: 'button', 'data-action': 'rollback', onclick: () => act(`Roll back to v${v.version}`, `/api/v1/models/${enc(name)}/rollback`, (reason) => ({ version: v.version, reason, request_id: rid() })) }, 'Roll back to this'));
    }
    const metrics = Object.entries(v.metrics || {}).map(([k, val]) => `${k} ${formatValue(val)}`).join(', ');
    return h('tr', { 'data-version': v.version },
      h('td', {}, `v${v.version}`),
      h('td', {}, h('span', { class: `stage stage-${v.stage}` }, v.stage)),
      h('td', {}, (v.aliases || []).join(', ')),
      h('td', {}, v.signed ? '✓ signed' : '✗ unsigned'),
      h('td', {}, v.gates_passed ? '✓ passed' : '✗ not passed'),
      h('td', { class: 'metrics-cell' }, metrics),
      h('td', {}, link(`#/runs/${v.run_id}`, `run #${v.run_id}`), ' · ', link(`#/lineage/${v.artifact_sha256}`, `lineage ${shortSha(v.artifact_sha256)}`, { 'data-action': 'lineage' })),
      h('td', { class: 'buttons' }, buttons));
  });
  return h('section', { 'aria-labelledby': 'h-model' },
    h('h1', { id: 'h-model' }, `Model ${name}`),
    h('p', {}, `pipeline ${model.pipeline} · production ${prod ? `v${prod}` : 'none'}`),
    h('table', { class: 'versions' },
      h('thead', {}, h('tr', {}, ['version', 'stage', 'aliases', 'signature', 'gates', 'metrics', 'provenance', 'actions'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows)),
    status,
    h('h2', {}, 'Audit log'), auditTable(audit.entries.slice(0, 50)),
    h('p', {}, link(`#/audit?model=${enc(name)}`, 'Whole audit log of this model')));
}

export function auditTable(entries) {
  if (!entries.length) return h('p', {}, 'No entries.');
  return h('table', { class: 'audit' },
    h('thead', {}, h('tr', {}, ['when', 'actor', 'action', 'model', 'version', 'from', 'to', 'reason'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, entries.map((a) => h('tr', { 'data-audit': a.id, 'data-action': a.action },
      h('td', {}, formatTime(a.at_ms)), h('td', {}, a.actor), h('td', {}, a.action), h('td', {}, a.model),
      h('td', {}, a.version ? `v${a.version}` : ''), h('td', {}, a.from), h('td', {}, a.to), h('td', { class: 'reason' }, a.reason)))));
}

export async function auditView(ctx) {
  const model = ctx.route.query.model || '';
  const before = ctx.route.query.before || '';
  const { entries } = await api.get(`/api/v1/audit${q({ model, before, limit: 100 })}`);
  const input = h('input', { id: 'audit-model', name: 'model', value: model });
  return h('section', { 'aria-labelledby': 'h-audit' }, h('h1', { id: 'h-audit' }, 'Audit log'),
    h('form', { class: 'filters', role: 'search', onsubmit: (e) => { e.preventDefault(); location.hash = `#/audit${q({ model: input.value })}`; } },
      h('label', { for: 'audit-model' }, 'Model'), input, h('button', { type: 'submit' }, 'Filter')),
    auditTable(entries),
    entries.length === 100 ? link(`#/audit${q({ model, before: entries[entries.length - 1].id })}`, 'Older entries') : null);
}
