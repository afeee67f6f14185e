// The dashboard's entry: login, navigation and hash routing. Each view is
// a URL (#/runs/12?stage=train); a view is an async function of the route
// that returns its element. Views started by an older navigation stop
// their live updates through ctx.alive().
import { api, session } from './api.mjs';
import { h } from './dom.mjs';
import { parseHash } from './format.mjs';
import { errorBox } from './ui.mjs';
import { pipelinesView } from './views_pipelines.mjs';
import { runsView } from './views_runs.mjs';
import { runView } from './views_run.mjs';
import { compareView } from './views_compare.mjs';
import { lineageView } from './views_lineage.mjs';
import { auditView, modelView, modelsView } from './views_models.mjs';
import { repoView, sourcesView } from './views_sources.mjs';

const main = document.getElementById('main');
const who = document.getElementById('who');
let generation = 0;
let me = null;

const ROUTES = [
  [(p) => p.length === 0 || p[0] === 'pipelines', pipelinesView, 'pipelines'],
  [(p) => p[0] === 'runs' && p.length === 1, runsView, 'runs'],
  [(p) => p[0] === 'runs' && /^\d+$/.test(p[1] || ''), runView, 'runs'],
  [(p) => p[0] === 'compare', compareView, 'runs'],
  [(p) => p[0] === 'lineage' && /^[0-9a-f]{64}$/.test(p[1] || ''), lineageView, 'models'],
  [(p) => p[0] === 'models' && p.length === 1, modelsView, 'models'],
  [(p) => p[0] === 'models' && p.length === 2, modelView, 'models'],
  [(p) => p[0] === 'audit', auditView, 'audit'],
  [(p) => p[0] === 'sources' && p.length === 1, sourcesView, 'sources'],
  [(p) => p[0] === 'sources' && p.length === 2, repoView, 'sources'],
];

function loginView(message) {
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true });
  const form = h('form', {
    class: 'login', 'aria-labelledby': 'h-login',
    onsubmit: async (e) => {
      e.preventDefault();
      session.set(input.value.trim());
      input.value = '';
      me = null;
      await render();
    },
  }, h('h1', { id: 'h-login' }, 'Sign in to mlopsd'),
  h('label', { for: 'token' }, 'API token'), input,
  h('p', { class: 'hint' }, 'An API token (mlctl tokens create). It is kept in this tab only, never in the address.'),
  message ? errorBox(message) : null,
  h('button', { type: 'submit', class: 'primary' }, 'Sign in'));
  main.replaceChildren(form);
  input.focus();
}

async function render() {
  const gen = ++generation;
  if (!session.token()) {
    who.replaceChildren();
    loginView();
    return;
  }
  try {
    if (!me) me = await api.get('/api/v1/whoami');
  } catch (e) {
    session.clear();
    loginView(e.status === 401 ? 'That token was not accepted.' : e);
    return;
  }
  who.replaceChildren(h('span', {}, `${me.name} (${me.role})`), ' ',
    h('button', { type: 'button', 'data-action': 'logout', onclick: () => { session.clear(); me = null; render(); } }, 'Sign out'));
  const route = parseHash(location.hash);
  const found = ROUTES.find(([match]) => match(route.path));
  for (const a of document.querySelectorAll('nav.top a')) {
    if (found && a.dataset.section === found[2]) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!found) {
    main.replaceChildren(h('p', {}, 'No such page.'));
    return;
  }
  const ctx = { route, role: me.role, alive: () => gen === generation, rerender: render };
  main.setAttribute('aria-busy', 'true');
  try {
    const view = await found[1](ctx);
    if (gen !== generation) return;
    main.replaceChildren(view);
    const heading = main.querySelector('h1');
    if (heading) { heading.tabIndex = -1; heading.focus({ preventScroll: true }); }
  } catch (e) {
    if (gen === generation) main.replaceChildren(errorBox(e));
  } finally {
    if (gen === generation) main.removeAttribute('aria-busy');
  }
}

window.addEventListener('hashchange', render);
window.addEventListener('mlops-unauthorized', () => { session.clear(); me = null; generation++; loginView('Your token is no longer accepted; sign in again.'); });
render();
