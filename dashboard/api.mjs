// The dashboard's only way to the daemon: /api/v1 with the bearer token.
// The token lives in sessionStorage (this tab only, gone when it closes);
// it is never put in a URL, and never logged.
const KEY = 'mlopsd.token';

export const session = {
  token: () => sessionStorage.getItem(KEY) || '',
  set: (t) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail || `HTTP ${status}`);
    this.status = status;
  }
}

async function request(method, path, { body, text = false, headers = {} } = {}) {
  const h = { Authorization: `Bearer ${session.token()}`, ...headers };
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const resp = await fetch(path, {
    method, headers: h, body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store', credentials: 'omit',
  });
  if (!resp.ok) {
    let detail = '';
    try { detail = (await resp.json()).detail; } catch { /* not a problem document */ }
    if (resp.status === 401) window.dispatchEvent(new CustomEvent('mlops-unauthorized'));
    throw new ApiError(resp.status, detail);
  }
  if (text) return { text: await resp.text(), headers: resp.headers };
  return resp.json();
}

export const api = {
  get: (path) => request('GET', path),
  post: (path, body) => request('POST', path, { body: body || {} }),
  text: (path) => request('GET', path, { text: true }),
};

export function q(params) {
  const s = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '')).toString();
  return s ? `?${s}` : '';
}

export function enc(s) {
  return encodeURIComponent(s);
}
