// What starts runs: watched Git repositories (heads, last poll, errors, the
// fate of each commit) and data versions (with the runs made from each).
import { api, enc } from './api.mjs';
import { h } from './dom.mjs';
import { formatTime, shortSha } from './format.mjs';
import { badge, link, may } from './ui.mjs';

export async function sourcesView() {
  const [{ repos }, { data_versions: data }] = await Promise.all([api.get('/api/v1/repos'), api.get('/api/v1/data')]);
  const repoRows = repos.map((r) => h('tr', { 'data-repo': r.name },
    h('td', {}, link(`#/sources/${enc(r.name)}`, r.name)),
    h('td', { class: 'mono' }, r.url),
    h('td', {}, Object.entries(r.heads || {}).map(([b, sha]) => `${b} ${shortSha(sha)}`).join(', ') || '—'),
    h('td', {}, r.state === 'error' ? '✗ error' : r.state === 'ok' ? '✓ ok' : '… pending'),
    h('td', {}, formatTime(r.last_attempt_ms)),
    h('td', { class: 'error last-error' }, r.last_error)));
  const dataRows = data.map((dv) => h('tr', { 'data-version': dv.id },
    h('td', {}, String(dv.id)),
    h('td', { class: 'mono', title: dv.path }, dv.path),
    h('td', { class: 'mono' }, link(`#/lineage/${dv.sha256}`, shortSha(dv.sha256))),
    h('td', {}, String(dv.size)),
    h('td', {}, formatTime(dv.first_seen_ms)),
    h('td', {}, dv.current ? 'current' : `superseded by ${dv.superseded_by}`)));
  return h('section', { 'aria-labelledby': 'h-sources' },
    h('h1', { id: 'h-sources' }, 'Repositories and data'),
    h('h2', {}, 'Watched repositories'),
    repos.length ? h('table', { class: 'repos' },
      h('thead', {}, h('tr', {}, ['name', 'url', 'heads', 'state', 'last poll', 'last error'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, repoRows)) : h('p', {}, 'No repository is watched (docs/config.md, repositories).'),
    h('h2', {}, 'Data versions'),
    data.length ? h('table', { class: 'data' },
      h('thead', {}, h('tr', {}, ['id', 'path', 'digest', 'bytes', 'first seen', 'state'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, dataRows)) : h('p', {}, 'No data path is watched (on.data in a pipeline).'));
}

export async function repoView(ctx) {
  const name = ctx.route.path[1];
  const r = await api.get(`/api/v1/repos/${enc(name)}`);
  const status = h('p', { role: 'status' });
  const sync = may(ctx.role, 'operator') ? h('button', {
    type: 'button', 'data-action': 'sync',
    onclick: async () => {
      try { await api.post(`/api/v1/repos/${enc(name)}/sync`); status.textContent = 'Sync requested.'; } catch (e) { status.textContent = e.message; }
    },
  }, 'Poll now') : null;
  return h('section', { 'aria-labelledby': 'h-repo' },
    h('h1', { id: 'h-repo' }, `Repository ${name}`),
    h('dl', { class: 'meta' },
      h('dt', {}, 'url'), h('dd', { class: 'mono' }, r.url),
      h('dt', {}, 'branches'), h('dd', {}, (r.branches || []).join(', ')),
      h('dt', {}, 'pipeline file'), h('dd', { class: 'mono' }, r.pipeline),
      h('dt', {}, 'last success'), h('dd', {}, formatTime(r.last_success_ms) || 'never'),
      h('dt', {}, 'failures in a row'), h('dd', {}, String(r.consecutive_failures)),
      h('dt', {}, 'last error'), h('dd', { class: 'error last-error' }, r.last_error || '—')),
    sync, status,
    h('h2', {}, 'Commits'),
    (r.commits || []).length ? h('table', { class: 'commits' },
      h('thead', {}, h('tr', {}, ['commit', 'branch', 'seen', 'fate', 'reason', 'runs'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, r.commits.map((c) => h('tr', {},
        h('td', { class: 'mono' }, shortSha(c.commit)), h('td', {}, c.branch), h('td', {}, formatTime(c.seen_ms)),
        h('td', {}, badge(c.status)), h('td', { class: 'reason' }, c.reason),
        h('td', {}, (c.runs || []).map((id, i) => [i ? ', ' : '', link(`#/runs/${id}`, `#${id}`)]))))))
      : h('p', {}, 'No commit seen yet.'));
}
