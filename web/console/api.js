// What every console page shares: the admin JSON API (/console/api/...) with
// the CSRF token the server put in <meta name="plumbline-csrf">, small DOM
// helpers and number formats. An ES module; no framework.
export const meta = (name) => {
  const m = document.querySelector(`meta[name="${name}"]`);
  return m ? m.content : '';
};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// Calls the console API. Resolves to the JSON body of a 2xx answer; rejects
// with ApiError otherwise (status 0 when the network failed). A 401 means the
// session ended: back to the sign-in page.
export async function api(method, path, body, { signal } = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-CSRF-Token'] = meta('plumbline-csrf');
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin', cache: 'no-store', signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'NetworkError', 'Cannot reach the server. Check your connection and try again.');
  }
  let data = null;
  try { data = await res.json(); } catch (e) { /* not JSON */ }
  if (res.ok) return data;
  if (res.status === 401 && path !== '/console/api/login') location.assign('/console/');
  throw new ApiError(res.status, (data && data.error) || 'HttpError',
    (data && data.message) || `The server answered ${res.status}.`);
}

export const jobPath = (name) => `/console/api/jobs/${encodeURIComponent(name)}`;

// Creates an element: el('a', {href, class, text}, ...children). Text is
// always set as text, never parsed as HTML.
export function el(tag, props = {}, ...children) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v == null || v === false) continue;
    if (k === 'class') n.className = v;
    else if (k === 'text') n.textContent = v;
    else if (k.startsWith('on')) n.addEventListener(k.slice(2), v);
    else n.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c != null && c !== false) n.append(c);
  return n;
}

export async function signOut() {
  try { await api('POST', '/console/api/logout', {}); } catch (e) { /* signed out either way */ }
  location.assign('/console/');
}

const number = new Intl.NumberFormat('en');
export const fmtInt = (n) => number.format(n);
export const fmtPct = (x) => `${Math.round(x * 100)}%`;
export function fmtTime(ms) {
  if (!ms) return '–';
  const d = new Date(ms);
  return d.toLocaleString('en-GB', { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}
export function fmtSeconds(s) {
  if (s == null) return '–';
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  return `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, '0')} s`;
}

// Calls `onChange` each time jobs or their progress change, through this
// server or another sharing its store (a long poll on /console/api/changes),
// at most once a second; stops when `signal` aborts.
export function watchChanges(onChange, signal, since = -1) {
  (async () => {
    let version = since;
    while (!signal.aborted) {
      const started = Date.now();
      try {
        const body = await api('GET', `/console/api/changes?since=${version}&wait=25`, undefined, { signal });
        if (body.version !== version) {
          const first = version === -1;
          version = body.version;
          if (!first) await onChange(version);
        }
      } catch (e) {
        if (signal.aborted) return;
        await new Promise((r) => setTimeout(r, 3000));
      }
      const spent = Date.now() - started;
      if (spent < 1000) await new Promise((r) => setTimeout(r, 1000 - spent));
    }
  })();
}

// The top bar every signed-in page shows.
export function topbar(active) {
  const user = meta('plumbline-user');
  return el('header', { class: 'topbar' },
    el('a', { class: 'brand', href: '/console/' },
      el('span', { class: 'brand-mark', 'aria-hidden': 'true' }), 'Plumbline ', el('small', { text: 'Console' })),
    el('nav', { class: 'row' }, el('a', { href: '/console/', class: active === 'jobs' ? 'active' : null, text: 'Labeling jobs' }),
      el('a', { href: '/console/people', id: 'nav-people', class: active === 'people' ? 'active' : null, text: 'People and keys' }),
      el('a', { href: '/console/keys', id: 'nav-keys', class: active === 'keys' ? 'active' : null, text: 'KMS keys' })),
    el('span', { class: 'spacer' }),
    el('span', { class: 'who', text: user }),
    el('button', { class: 'btn quiet', type: 'button', id: 'signout', onclick: signOut, text: 'Sign out' }));
}

// <plb-topbar active="jobs">: the bar at the top of every signed-in page.
customElements.define('plb-topbar', class extends HTMLElement {
  connectedCallback() {
    if (!this.firstChild) this.append(topbar(this.getAttribute('active')));
  }
});

// The stacked bar of a job's counters: labeled / failed / in progress / left.
export function progressBar(c) {
  const total = Math.max(1, c.total);
  const part = (cls, n, label) => el('span', { class: cls, style: `width:${(100 * n) / total}%`, title: `${label}: ${fmtInt(n)}` });
  return el('div', { class: 'bar', role: 'img',
    'aria-label': `${c.labeled} labeled, ${c.failed} failed, ${c.inProgress} in progress, ${c.left} left of ${c.total}` },
  part('labeled', c.labeled, 'Labeled'), part('failed', c.failed, 'Failed'), part('progress', c.inProgress, 'In progress'));
}
export function updateProgressBar(bar, c) {
  const total = Math.max(1, c.total);
  const [l, f, p] = bar.children;
  l.style.width = `${(100 * c.labeled) / total}%`;
  f.style.width = `${(100 * c.failed) / total}%`;
  p.style.width = `${(100 * c.inProgress) / total}%`;
  bar.setAttribute('aria-label', `${c.labeled} labeled, ${c.failed} failed, ${c.inProgress} in progress, ${c.left} left of ${c.total}`);
}
export const legend = () => el('div', { class: 'legend' },
  el('span', {}, el('i', { style: 'background:var(--c-labeled)' }), 'Labeled'),
  el('span', {}, el('i', { style: 'background:var(--c-failed)' }), 'Failed'),
  el('span', {}, el('i', { style: 'background:var(--c-progress)' }), 'In progress'),
  el('span', {}, el('i', { style: 'background:var(--c-left)' }), 'Left'));
