// The labeling page. Claims the job's next task over the worker API, shows its
// rendered template in a sandboxed srcdoc iframe, and answers the template's
// postMessages (web/crowd: plumbline:ready / :invalid / :submit). Each submit
// also claims the next task (one request, "next": true) and shows it at once.
//
// The iframe: sandbox="allow-scripts" and no allow-same-origin, so the template
// runs in an opaque origin and can reach neither this page nor its cookies.
// A srcdoc document inherits this page's CSP (script-src 'self' 'nonce-N'), so
// prepare() (1) points the template's crowd-elements <script src> at this
// server's copy (an exact match of Ground Truth's URL, nothing else is
// rewritten) and (2) gives every <script> of the template this response's
// nonce, so the template's own inline scripts run and nothing injected does.
'use strict';
(() => {
  const { api, meta, el } = window.Plumbline;
  const CROWD_URL = 'https://assets.crowd.aws/crowd-html-elements.js';
  const LOCAL_CROWD_URL = new URL('/crowd/crowd-html-elements.js', location.origin).href;
  const jobName = meta('plumbline-job');
  const nonce = meta('plumbline-nonce');

  const $ = (id) => document.getElementById(id);
  const stage = $('stage');
  const loading = $('loading');
  const notice = $('notice');
  const skipButton = $('skip');
  const releaseButton = $('release');
  const keys = $('keys');

  let job = null;          // this job's entry of GET /worker/api/jobs
  let current = null;      // the task on screen
  let done = 0;            // submitted on this page
  let left = null;         // tasks left in the job, the current one included
  let busy = false;        // a claim, submit, skip or stop is in flight

  // The crowd elements' script, fetched once: inlining it into each task's
  // document spares the sandboxed frame a request per task (its opaque
  // origin cannot share this page's HTTP cache).
  let crowdScript = null;
  fetch(LOCAL_CROWD_URL).then((r) => (r.ok ? r.text() : null)).then((t) => {
    if (t && !/<\/script/i.test(t)) crowdScript = t;
  }).catch(() => {});

  function prepare(html) {
    let out = html;
    for (const q of ['"', "'"]) {
      const tag = `<script src=${q}${CROWD_URL}${q}></script>`;
      if (crowdScript && out.includes(tag)) out = out.split(tag).join(`<script>${crowdScript}</script>`);
      out = out.split(`src=${q}${CROWD_URL}${q}`).join(`src=${q}${LOCAL_CROWD_URL}${q}`);
    }
    return out.replace(/<script\b/gi, `<script nonce="${nonce}"`);
  }

  // ---- the next task's media, fetched while this one is worked on ----
  // A sandboxed frame's opaque origin gets an HTTP cache of its own that
  // lasts no longer than the frame, so neither the browser's cache nor a
  // <link rel=prefetch> of this page can serve the next task's images. Once
  // a task is on screen this page asks which media the task it will likely
  // get next shows (GET /worker/api/tasks/ID/upcoming: signed links, nothing
  // claimed), fetches them, and when that task comes its page gets them
  // inline as data: URLs in place of their links, matched by the object's
  // URI (a fresh signature of the same object matches). Bounded: a few
  // objects, each up to PREFETCH_MAX_BYTES; media not fetched in time load
  // through their links as usual.
  const PREFETCH_MAX_OBJECTS = 4;
  const PREFETCH_MAX_BYTES = 16 << 20;
  const MEDIA_LINK = /\/worker\/media\?uri=([^&"'\s<>\\]+)(?:(?:&amp;|&|\\u0026)(?:expires|sig)=[0-9A-Za-z]+)+/g;
  let prefetched = new Map();  // object URI as links encode it -> data: URL
  let prefetchFor = null;      // the task whose successor's media are fetched

  function mediaKey(link) {
    MEDIA_LINK.lastIndex = 0;
    const m = MEDIA_LINK.exec(link);
    return m ? m[1] : null;
  }
  function inlineMedia(html) {
    if (!prefetched.size) return html;
    return html.replace(MEDIA_LINK, (link, key) => prefetched.get(key) || link);
  }
  const asDataUrl = (blob) => new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.readAsDataURL(blob);
  });
  async function prefetchUpcoming(t) {
    if (prefetchFor === t.taskId) return;
    prefetchFor = t.taskId;
    const ready = new Map();
    prefetched = ready;
    document.body.dataset.prefetched = '0';
    let links = [];
    try {
      const { body } = await api('GET', `/worker/api/tasks/${encodeURIComponent(t.taskId)}/upcoming`);
      links = (body && body.media) || [];
    } catch (e) { return; /* a hint only */ }
    for (const link of links.slice(0, PREFETCH_MAX_OBJECTS)) {
      const key = mediaKey(link);
      if (!key) continue;
      try {
        const r = await fetch(link, { credentials: 'omit' });
        if (!r.ok || Number(r.headers.get('Content-Length') || 0) > PREFETCH_MAX_BYTES) continue;
        const blob = await r.blob();
        if (blob.size > PREFETCH_MAX_BYTES || prefetched !== ready) continue;
        ready.set(key, await asDataUrl(blob));
        document.body.dataset.prefetched = String(ready.size);
      } catch (e) { /* it loads through its link */ }
    }
  }

  // ---- time spent, counted only while this tab is visible ----
  function clockStart(t) { if (document.visibilityState === 'visible' && t.visibleSince == null) t.visibleSince = performance.now(); }
  function clockStop(t) { if (t.visibleSince != null) { t.visibleMs += performance.now() - t.visibleSince; t.visibleSince = null; } }
  document.addEventListener('visibilitychange', () => {
    if (!current) return;
    if (document.visibilityState === 'visible') clockStart(current); else clockStop(current);
  });

  // ---- header ----
  function renderCounts() {
    $('done').textContent = String(done);
    $('left').textContent = left == null ? '–' : String(left);
    const total = left == null ? 0 : done + left;
    $('progress').style.width = total ? `${Math.round((100 * done) / total)}%` : '0';
  }
  async function refreshJob() {
    try {
      const { body } = await api('GET', '/worker/api/jobs');
      job = (body.jobs || []).find((j) => j.name === jobName) || job;
      if (job) {
        $('job-title').textContent = job.title || job.name;
        $('job-desc').textContent = job.description || '';
        document.title = `${job.title || job.name} · Plumbline`;
        left = job.tasksAvailable + (current ? 1 : 0);
      } else {
        left = current ? 1 : 0;
      }
      renderCounts();
    } catch (e) { /* the counts are a nicety */ }
  }

  function tick() {
    const timer = $('timer');
    if (!current) { $('countdown').textContent = '–'; timer.className = 'stat timer idle'; return; }
    const s = Math.max(0, Math.ceil((current.deadline - Date.now()) / 1000));
    const h = Math.floor(s / 3600);
    const mm = String(Math.floor((s % 3600) / 60)).padStart(h ? 2 : 1, '0');
    const ss = String(s % 60).padStart(2, '0');
    $('countdown').textContent = h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
    timer.className = `stat timer${s === 0 ? ' out' : s <= 60 ? ' low' : ''}`;
    if (s === 0 && !current.expired) {
      current.expired = true;
      dropTask();
      showNotice('warn', 'Time is up for this task', 'It went back to the pool. You can take the next one.', [
        button('Next task', true, () => next(), 'Enter'),
        button('Back to jobs', false, () => location.assign('/worker/')),
      ]);
    }
  }
  setInterval(tick, 250);

  // ---- stage ----
  function button(label, primary, onclick, key) {
    return el('button', { class: primary ? 'btn primary large' : 'btn large', type: 'button', onclick },
      label, key ? el('kbd', { text: key }) : null);
  }
  const ICONS = {
    ok: 'M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z',
    warn: 'M1 21h22L12 2 1 21zm12-3h-2v-2h2v2zm0-4h-2v-4h2v4z',
    error: 'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm1 15h-2v-2h2v2zm0-4h-2V7h2v6z',
  };
  function showNotice(kind, title, text, actions) {
    loading.hidden = true;
    $('notice-card').className = `notice-card ${kind === 'ok' ? '' : kind}`;
    $('notice-icon').firstElementChild.setAttribute('d', ICONS[kind] || ICONS.ok);
    $('notice-title').textContent = title;
    $('notice-text').textContent = text;
    $('notice-actions').replaceChildren(...actions);
    notice.hidden = false;
    const first = $('notice-actions').querySelector('button');
    if (first) first.focus();
  }
  function toast(text, error) {
    const t = $('toast');
    t.textContent = text;
    t.className = error ? 'toast error' : 'toast';
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.hidden = true; }, 5000);
  }

  // A fresh iframe per task, so nothing of one task's document can reach the
  // next. Chromium runs sandboxed frames in a process of their own; this empty
  // hidden one keeps that process alive between tasks, so the next task does
  // not wait for a new process (measured: about 150 ms less per task). Frames
  // that are covered by others get throttled, so the next task cannot be
  // loaded behind the current one: it replaces it.
  const warm = document.createElement('iframe');
  warm.setAttribute('sandbox', 'allow-scripts');
  warm.setAttribute('aria-hidden', 'true');
  warm.tabIndex = -1;
  warm.hidden = true;
  warm.srcdoc = '';
  stage.append(warm);

  // Takes the task off the screen; the lease itself is the caller's business.
  function dropTask() {
    if (current) {
      clockStop(current);
      current.frame.remove();
    }
    current = null;
    skipButton.disabled = releaseButton.disabled = true;
    tick();
  }

  function show(task) {
    dropTask();
    notice.hidden = true;
    const frame = document.createElement('iframe');
    frame.setAttribute('sandbox', 'allow-scripts');
    frame.setAttribute('title', 'Task');
    frame.setAttribute('referrerpolicy', 'no-referrer');
    frame.className = 'task';
    frame.srcdoc = prepare(inlineMedia(task.html || '<p>This task has no template.</p>'));
    prefetched = new Map();
    const t = { taskId: task.taskId, deadline: Date.parse(task.deadline), frame, ready: false,
      visibleMs: 0, visibleSince: null, submitting: false, shownMark: `plumbline:shown-${task.taskId}` };
    current = t;
    clockStart(t);
    performance.mark(t.shownMark);
    // Templates that do not use crowd-form never send plumbline:ready.
    frame.addEventListener('load', () => setTimeout(() => markReady(t), 300));
    stage.append(frame);
    loading.hidden = false;
    skipButton.disabled = releaseButton.disabled = false;
    tick();
  }

  function markReady(t) {
    if (!t || t !== current || t.ready) return;
    t.ready = true;
    loading.hidden = true;
    performance.measure('plumbline:task-load', t.shownMark);
    prefetchUpcoming(t);
    // Focus goes into the task so that its own hotkeys (digits, Enter, 'r') work.
    if (!keys.open) t.frame.focus();
  }

  function reply(message) {
    try { current.frame.contentWindow.postMessage(message, '*'); } catch (e) { /* frame gone */ }
  }

  // Shows a claimed task, or says plainly that there is none (claimed null).
  function showClaimed(claimed) {
    if (claimed) {
      show(claimed);
      return;
    }
    dropTask();
    left = 0;
    renderCounts();
    const name = job ? job.title || job.name : jobName;
    showNotice('ok', done ? 'All done. Nice work!' : 'Nothing to label right now',
      `${done ? `You labeled ${done} task${done === 1 ? '' : 's'}. ` : ''}There are no more tasks for you in “${name}”.`, [
        button('Back to jobs', true, () => location.assign('/worker/'), 'Enter'),
        button('Check again', false, () => next()),
      ]);
  }

  // Claims and shows the next task.
  async function next() {
    if (busy) return;
    busy = true;
    notice.hidden = true;
    loading.hidden = false;
    try {
      performance.mark('plumbline:claim-start');
      const res = await api('POST', `/worker/api/jobs/${encodeURIComponent(jobName)}/claim`);
      performance.measure('plumbline:claim', 'plumbline:claim-start');
      showClaimed(res.status === 204 ? null : res.body);
    } catch (err) {
      if (err.status === 401) return;
      dropTask();
      const gone = err.status === 404 || err.status === 403;
      showNotice('error', gone ? 'This job is not available' : 'Could not load a task', err.message, [
        button(gone ? 'Back to jobs' : 'Try again', true, () => (gone ? location.assign('/worker/') : next()), 'Enter'),
        gone ? null : button('Back to jobs', false, () => location.assign('/worker/')),
      ].filter(Boolean));
    } finally {
      busy = false;
    }
    refreshJob();
  }

  async function submit(answer) {
    const t = current;
    if (!t || !t.ready || t.submitting || busy) return;
    t.submitting = true;
    busy = true;
    clockStop(t);
    const seconds = Math.round(t.visibleMs) / 1000;
    let res;
    try {
      performance.mark('plumbline:submit-start');
      // "next": the answer and the claim of the next task in one request.
      res = await api('POST', `/worker/api/tasks/${encodeURIComponent(t.taskId)}/submit`, { answer, timeSpentInSeconds: seconds, next: true });
      performance.measure('plumbline:submit', 'plumbline:submit-start');
    } catch (err) {
      busy = false;
      t.submitting = false;
      if (err.status === 401) return;
      if (err.status === 409) {
        dropTask();
        showNotice('warn', 'This answer could not be saved', `${err.message}. The task's time may have run out; it went back to the pool.`, [
          button('Next task', true, () => next(), 'Enter'),
          button('Back to jobs', false, () => location.assign('/worker/')),
        ]);
        return;
      }
      clockStart(t);
      reply({ type: 'plumbline:submit-result', ok: false, message: `Not saved: ${err.message}` });
      return;
    }
    reply({ type: 'plumbline:submit-result', ok: true });
    done += 1;
    if (left != null) left = Math.max(0, left - 1);
    renderCounts();
    busy = false;
    if (res.body && 'next' in res.body) {
      showClaimed(res.body.next);
      refreshJob();
    } else {
      await next();
    }
  }

  async function giveBack(decline) {
    if (!current || busy) return;
    const t = current;
    busy = true;
    try {
      await api('POST', `/worker/api/tasks/${encodeURIComponent(t.taskId)}/${decline ? 'decline' : 'release'}`, {});
    } catch (err) {
      busy = false;
      if (err.status !== 401) toast(err.message, true);
      return;
    }
    busy = false;
    dropTask();
    if (decline) {
      toast('Skipped. You will not see that task again.');
      next();
    } else {
      location.assign('/worker/');
    }
  }

  window.addEventListener('message', (e) => {
    if (!current || e.source !== current.frame.contentWindow) return;
    const d = e.data;
    if (!d || typeof d !== 'object') return;
    if (d.type === 'plumbline:ready') markReady(current);
    else if (d.type === 'plumbline:submit') submit(d.answer && typeof d.answer === 'object' ? d.answer : {});
  });

  skipButton.addEventListener('click', () => giveBack(true));
  releaseButton.addEventListener('click', () => giveBack(false));
  $('keys-button').addEventListener('click', () => keys.showModal());
  $('keys-close').addEventListener('click', () => keys.close());
  keys.addEventListener('close', () => { if (current && current.ready) current.frame.focus(); });

  // The portal's own keys. They only reach this page when focus is on the
  // bar (keys typed in the task go to the task), so they use Alt and never
  // clash with a template's hotkeys.
  document.addEventListener('keydown', (e) => {
    if (e.altKey && !e.ctrlKey && !e.metaKey) {
      const k = e.key.toLowerCase();
      const code = e.code;
      if (k === 's' || code === 'KeyS') { e.preventDefault(); giveBack(true); }
      else if (k === 'q' || code === 'KeyQ') { e.preventDefault(); giveBack(false); }
      else if (k === 'k' || code === 'KeyK') { e.preventDefault(); if (!keys.open) keys.showModal(); }
      return;
    }
    if (e.key === 'Escape' && !keys.open && current && current.ready) { e.preventDefault(); current.frame.focus(); }
  });

  // Leaving the page gives the task back at once instead of holding it until
  // its deadline (keepalive lets the request outlive the page).
  window.addEventListener('pagehide', () => {
    if (!current || current.submitting) return;
    try {
      fetch(`/worker/api/tasks/${encodeURIComponent(current.taskId)}/release`, { method: 'POST', keepalive: true,
        credentials: 'same-origin', headers: { 'X-CSRF-Token': meta('plumbline-csrf'), 'Content-Type': 'application/json' }, body: '{}' });
    } catch (e) { /* best effort */ }
  });

  renderCounts();
  refreshJob();
  next();
})();
