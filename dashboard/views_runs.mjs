// Runs: a page of runs from the API (never all of them), filtered by
// pipeline and status, with "older" paging through `before`; runs can be
// ticked to compare.
import { api, q } from './api.mjs';
import { h } from './dom.mjs';
import { buildHash, formatDuration, formatTime, shortSha, spanOf } from './format.mjs';
import { badge, link } from './ui.mjs';

const STATUSES = ['', 'queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted'];
export const PAGE = 25;

export async function runsView(ctx) {
  const { query } = ctx.route;
  const [{ pipelines }, page] = await Promise.all([
    api.get('/api/v1/pipelines'),
    api.get(`/api/v1/runs${q({ pipeline: query.pipeline, status: query.status, before: query.before, limit: PAGE })}`),
  ]);
  const pipeSel = h('select', { id: 'f-pipeline', name: 'pipeline' },
    h('option', { value: '' }, 'all'),
    pipelines.map((p) => h('option', { value: p.name, selected: p.name === query.pipeline }, p.name)));
  const statusSel = h('select', { id: 'f-status', name: 'status' },
    STATUSES.map((s) => h('option', { value: s, selected: s === (query.status || '') }, s || 'all')));
  const filters = h('form', {
    class: 'filters', role: 'search',
    onsubmit: (e) => {
      e.preventDefault();
      location.hash = buildHash(['runs'], { pipeline: pipeSel.value, status: statusSel.value });
    },
  }, h('label', { for: 'f-pipeline' }, 'Pipeline'), pipeSel, h('label', { for: 'f-status' }, 'Status'), statusSel,
  h('button', { type: 'submit' }, 'Filter'));
  const picked = new Set();
  const compareBtn = h('button', {
    type: 'button', disabled: true, 'data-action': 'compare',
    onclick: () => { location.hash = buildHash(['compare'], { runs: [...picked].join(',') }); },
  }, 'Compare selected');
  const rows = page.runs.map((r) => {
    const box = h('input', {
      type: 'checkbox', 'aria-label': `select run ${r.id} to compare`, 'data-run': r.id,
      onchange: (e) => {
        if (e.target.checked) picked.add(r.id); else picked.delete(r.id);
        compareBtn.disabled = picked.size < 2;
      },
    });
    return h('tr', { 'data-run': r.id },
      h('td', {}, box),
      h('td', {}, link(`#/runs/${r.id}`, `#${r.id}`)),
      h('td', {}, r.pipeline),
      h('td', {}, badge(r.status)),
      h('td', {}, r.trigger),
      h('td', { class: 'mono' }, shortSha(r.commit)),
      h('td', {}, formatTime(r.queued_ms)),
      h('td', {}, formatDuration(spanOf(r))),
      h('td', { class: 'reason' }, r.reason));
  });
  const tbl = h('table', { class: 'runs' },
    h('thead', {}, h('tr', {}, ['', 'run', 'pipeline', 'status', 'trigger', 'commit', 'queued', 'duration', 'reason'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows));
  const nav = h('nav', { class: 'pager', 'aria-label': 'pages' },
    query.before ? link(buildHash(['runs'], { pipeline: query.pipeline, status: query.status }), 'Newest') : null,
    page.next_before ? link(buildHash(['runs'], { pipeline: query.pipeline, status: query.status, before: page.next_before }), 'Older runs', { rel: 'next' }) : null);
  return h('section', { 'aria-labelledby': 'h-runs' }, h('h1', { id: 'h-runs' }, 'Runs'), filters,
    page.runs.length ? tbl : h('p', {}, 'No runs match.'), h('div', { class: 'actions' }, compareBtn), nav);
}
