// Shared helpers of the portal pages: the worker JSON API with the CSRF token
// the server put in <meta name="plumbline-csrf">, and small DOM helpers.
'use strict';
(() => {
  const meta = (name) => {
    const m = document.querySelector(`meta[name="${name}"]`);
    return m ? m.content : '';
  };

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  // Calls the worker API. Resolves to {status, body} for 2xx (body null on 204);
  // rejects with ApiError otherwise (status 0 when the network failed). A 401
  // means the session ended: back to the sign-in page.
  async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (method !== 'GET') headers['X-CSRF-Token'] = meta('plumbline-csrf');
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin', cache: 'no-store' });
    } catch (e) {
      throw new ApiError(0, 'NetworkError', 'Cannot reach the server. Check your connection and try again.');
    }
    if (res.status === 204) return { status: 204, body: null };
    let data = null;
    try { data = await res.json(); } catch (e) { /* not JSON */ }
    if (res.ok) return { status: res.status, body: data };
    if (res.status === 401 && path !== '/worker/api/login') {
      location.assign('/worker/');
    }
    throw new ApiError(res.status, (data && data.error) || 'HttpError',
      (data && data.message) || `The server answered ${res.status}.`);
  }

  async function signOut() {
    try { await api('POST', '/worker/api/logout', {}); } catch (e) { /* signed out either way */ }
    location.assign('/worker/');
  }

  const el = (tag, props = {}, ...children) => {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (k === 'class') n.className = v;
      else if (k === 'text') n.textContent = v;
      else if (k.startsWith('data-') || k.startsWith('aria-') || k === 'role' || k === 'href' || k === 'type') n.setAttribute(k, v);
      else n[k] = v;
    }
    for (const c of children) if (c != null) n.append(c);
    return n;
  };

  // "1 h 05 min", "12 min", "45 s"
  function formatDuration(seconds) {
    const s = Math.max(0, Math.round(seconds));
    if (s >= 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
    if (s >= 60) return `${Math.round(s / 60)} min`;
    return `${s} s`;
  }

  window.Plumbline = { api, ApiError, meta, signOut, el, formatDuration };
})();
