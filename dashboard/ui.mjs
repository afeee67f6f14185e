// Small shared pieces of the views: status badges, links, errors, and the
// reason dialog the role-guarded actions ask through.
import { h } from './dom.mjs';
import { statusInfo } from './format.mjs';

export function badge(status, cacheHit = false) {
  const s = statusInfo(status, cacheHit);
  return h('span', { class: `badge status-${s.key}` }, h('span', { 'aria-hidden': 'true' }, s.symbol), ' ', s.label);
}

export function link(href, text, attrs = {}) {
  return h('a', { href, ...attrs }, text);
}

export function errorBox(err) {
  return h('p', { class: 'error', role: 'alert' }, err && err.message ? err.message : String(err));
}

// Role ranks as the daemon has them (docs/security.md).
const RANK = { viewer: 0, operator: 1, admin: 2 };
export function may(role, need) {
  return (RANK[role] ?? -1) >= RANK[need];
}

// Asks for a reason in a modal dialog; resolves to the text, or null when
// cancelled. `title` names the action.
export function askReason(title, { required = true } = {}) {
  return new Promise((resolve) => {
    const input = h('textarea', { id: 'reason-input', name: 'reason', rows: 3, required, maxlength: 1000 });
    const dlg = h('dialog', { class: 'reason-dialog', 'aria-labelledby': 'reason-title' },
      h('form', { method: 'dialog' },
        h('h2', { id: 'reason-title' }, title),
        h('label', { for: 'reason-input' }, 'Reason (recorded in the audit log)'),
        input,
        h('div', { class: 'actions' },
          h('button', { type: 'submit', value: 'ok', class: 'primary' }, 'Confirm'),
          h('button', { type: 'button', value: 'cancel', onclick: () => dlg.close('cancel') }, 'Cancel'))));
    dlg.addEventListener('close', () => {
      const ok = dlg.returnValue === 'ok';
      dlg.remove();
      resolve(ok ? input.value : null);
    });
    document.body.append(dlg);
    dlg.showModal();
    input.focus();
  });
}
