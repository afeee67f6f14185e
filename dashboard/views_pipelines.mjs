// Pipelines: each with its last runs (status strip) and a Run button for
// operators and admins.
import { api, enc, q } from './api.mjs';
import { h } from './dom.mjs';
import { formatDuration, formatTime, spanOf, statusInfo, triggerText } from './format.mjs';
import { badge, errorBox, link, may } from './ui.mjs';

export async function pipelinesView(ctx) {
  const { pipelines } = await api.get('/api/v1/pipelines');
  const rows = await Promise.all(pipelines.map(async (p) => {
    const [{ runs }, detail] = await Promise.all([
      api.get(`/api/v1/runs${q({ pipeline: p.name, limit: 10 })}`),
      api.get(`/api/v1/pipelines/${enc(p.name)}`),
    ]);
    return { p, runs, on: detail.on };
  }));
  const out = h('section', { 'aria-labelledby': 'h-pipelines' }, h('h1', { id: 'h-pipelines' }, 'Pipelines'));
  if (!rows.length) out.append(h('p', {}, 'No pipelines are loaded.'));
  const list = h('ul', { class: 'cards' });
  for (const { p, runs, on } of rows) {
    const last = runs[0];
    const strip = h('span', { class: 'strip', 'aria-label': 'last runs, newest first' },
      runs.map((r) => {
        const s = statusInfo(r.status);
        return link(`#/runs/${r.id}`, s.symbol, { class: `dot status-${s.key}`, title: `run ${r.id}: ${s.label}`, 'aria-label': `run ${r.id} ${s.label}` });
      }));
    const status = h('p', { class: 'run-status', role: 'status' });
    const runBtn = may(ctx.role, 'operator')
      ? h('button', {
        type: 'button', class: 'primary', 'data-action': 'run',
        onclick: async () => {
          runBtn.disabled = true;
          try {
            const run = await api.post(`/api/v1/pipelines/${enc(p.name)}/runs`, { reason: 'started from the dashboard' });
            location.hash = `#/runs/${run.id}`;
          } catch (e) {
            status.replaceChildren(errorBox(e));
            runBtn.disabled = false;
          }
        },
      }, `Run ${p.name}`)
      : null;
    list.append(h('li', { class: 'card', 'data-pipeline': p.name },
      h('h2', {}, link(`#/runs?pipeline=${enc(p.name)}`, p.name)),
      h('p', {}, last
        ? ['Last run ', link(`#/runs/${last.id}`, `#${last.id}`), ' ', badge(last.status), ' ', formatTime(last.queued_ms),
          last.started_ms ? ` · ${formatDuration(spanOf(last))}` : '', ' · trigger ', last.trigger]
        : 'Never run.'),
      strip, h('p', { class: 'triggers' }, 'Triggers: ', triggerText(on)), runBtn, status));
  }
  out.append(list);
  return out;
}
