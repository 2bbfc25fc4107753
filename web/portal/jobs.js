// Job list: GET /worker/api/jobs, one card per job with a Start button that
// opens /worker/jobs/{name}. Keys 1-9 start the job with that number.
'use strict';
(() => {
  const { api, el, meta, signOut, formatDuration } = window.Plumbline;
  const list = document.getElementById('jobs');
  const summary = document.getElementById('summary');
  const hint = document.getElementById('hint');
  let jobs = [];

  document.getElementById('avatar').textContent = (meta('plumbline-user') || '?').slice(0, 1);
  document.getElementById('signout').addEventListener('click', signOut);
  document.getElementById('refresh').addEventListener('click', () => load(true));

  const jobUrl = (name) => `/worker/jobs/${encodeURIComponent(name)}`;

  function render() {
    list.replaceChildren();
    const open = jobs.filter((j) => j.tasksAvailable > 0);
    const total = open.reduce((s, j) => s + j.tasksAvailable, 0);
    if (jobs.length === 0) {
      summary.textContent = 'Nothing assigned to you yet.';
      list.append(el('li', { class: 'empty' },
        el('h2', { text: 'No jobs right now' }),
        el('div', { text: 'When a job is shared with your team it shows up here.' }),
        el('button', { class: 'btn', type: 'button', text: 'Check again', onclick: () => load(true) })));
      hint.hidden = true;
      return;
    }
    summary.textContent = total === 0
      ? 'All caught up: no tasks waiting.'
      : `${total} task${total === 1 ? '' : 's'} waiting in ${open.length} job${open.length === 1 ? '' : 's'}.`;
    jobs.forEach((job, i) => {
      const n = job.tasksAvailable;
      const meta = el('div', { class: 'meta' });
      if (job.timeLimitSeconds) meta.append(el('span', { class: 'chip', text: `${formatDuration(job.timeLimitSeconds)} per task` }));
      for (const k of job.keywords || []) meta.append(el('span', { class: 'chip accent', text: k }));
      const start = el('a', { class: n > 0 ? 'btn primary large' : 'btn large', href: jobUrl(job.name),
        'data-job': job.name, 'aria-label': `Start ${job.title || job.name}` },
        n > 0 ? 'Start' : 'Open', i < 9 ? el('kbd', { text: String(i + 1) }) : null);
      list.append(el('li', { class: 'job', 'data-job': job.name },
        el('div', {},
          el('h2', { text: job.title || job.name }),
          job.description ? el('p', { class: 'desc', text: job.description }) : null,
          meta),
        el('div', { class: 'actions' },
          el('div', { class: 'count' }, el('b', { text: String(n) }), el('span', { text: n === 1 ? 'task left' : 'tasks left' })),
          start)));
    });
    hint.hidden = false;
  }

  async function load(focus) {
    try {
      const { body } = await api('GET', '/worker/api/jobs');
      jobs = body.jobs || [];
      render();
      const first = list.querySelector('a.btn.primary') || list.querySelector('a.btn, button');
      if (focus !== false && first && (focus || document.activeElement === document.body)) first.focus();
    } catch (err) {
      if (err.status === 401) return;
      summary.textContent = err.message;
      list.replaceChildren(el('li', { class: 'empty' }, el('h2', { text: 'Could not load your jobs' }),
        el('div', { text: err.message }),
        el('button', { class: 'btn', type: 'button', text: 'Try again', onclick: () => load(true) })));
    }
  }

  document.addEventListener('keydown', (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey || e.target.closest('input, textarea')) return;
    if (/^[1-9]$/.test(e.key) && jobs[Number(e.key) - 1]) {
      e.preventDefault();
      location.assign(jobUrl(jobs[Number(e.key) - 1].name));
    }
  });
  // Keep the counts fresh while the list is open.
  setInterval(() => { if (document.visibilityState === 'visible') load(false); }, 30000);
  load();
})();
