// The job list: GET /console/api/jobs with the filters, sort and page kept in
// the address (so a reload or a shared link shows the same), refreshed in
// place whenever the store commits (watchChanges: a long poll).
import { api, el, fmtInt, fmtTime, progressBar, updateProgressBar, legend, watchChanges } from './api.js';

const STATUSES = ['InProgress', 'Initializing', 'Completed', 'Stopping', 'Stopped', 'Failed'];
const COLUMNS = [
  { key: 'name', label: 'Name', sort: 'name' },
  { key: 'status', label: 'Status', sort: 'status' },
  { key: 'type', label: 'Task type', cls: 'hide-narrow' },
  { key: 'created', label: 'Created', sort: 'created', cls: 'hide-narrow' },
  { key: 'progress', label: 'Progress', sort: 'progress' },
];

customElements.define('plb-jobs', class extends HTMLElement {
  connectedCallback() {
    const q = new URLSearchParams(location.search);
    this.state = {
      name: q.get('name') || '', status: q.get('status') || '',
      sort: q.get('sort') || 'created', order: q.get('order') || 'desc',
      offset: Math.max(0, Number(q.get('offset')) || 0), limit: Math.min(200, Number(q.get('limit')) || 25),
    };
    this.rows = new Map();
    this.build();
    this.load();
    this.abort = new AbortController();
    watchChanges(() => this.load(), this.abort.signal);
  }
  disconnectedCallback() { this.abort.abort(); }

  build() {
    const s = this.state;
    this.search = el('input', { type: 'search', placeholder: 'Filter by name', 'aria-label': 'Filter by name', value: s.name });
    let timer;
    this.search.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(() => { s.name = this.search.value.trim(); s.offset = 0; this.load(); }, 250);
    });
    this.statusSel = el('select', { 'aria-label': 'Status', onchange: () => { s.status = this.statusSel.value; s.offset = 0; this.load(); } },
      el('option', { value: '', text: 'Any status' }), STATUSES.map((x) => el('option', { value: x, text: x, selected: s.status === x })));
    this.head = el('tr', {}, COLUMNS.map((c) => {
      const th = el('th', { class: c.cls, scope: 'col' });
      if (c.sort) th.append(el('button', { type: 'button', text: c.label, onclick: () => this.sortBy(c.sort) }));
      else th.textContent = c.label;
      th.dataset.sort = c.sort || '';
      return th;
    }));
    this.body = el('tbody');
    this.empty = el('div', { class: 'empty', hidden: true });
    this.range = el('span');
    this.prev = el('button', { class: 'btn', type: 'button', text: 'Previous', onclick: () => { s.offset = Math.max(0, s.offset - s.limit); this.load(); } });
    this.next = el('button', { class: 'btn', type: 'button', text: 'Next', onclick: () => { s.offset += s.limit; this.load(); } });
    this.error = el('div', { class: 'error-box', role: 'alert', hidden: true });
    this.append(el('section', { class: 'card' },
      el('div', { class: 'toolbar' }, this.search, this.statusSel, el('span', { style: 'flex:1' }), legend()),
      this.error,
      el('div', { class: 'table-wrap' }, el('table', { id: 'jobs' }, el('thead', {}, this.head), this.body)),
      this.empty,
      el('div', { class: 'pager' }, this.range, this.prev, this.next)));
  }

  sortBy(key) {
    const s = this.state;
    if (s.sort === key) s.order = s.order === 'asc' ? 'desc' : 'asc';
    else { s.sort = key; s.order = key === 'name' ? 'asc' : 'desc'; }
    s.offset = 0;
    this.load();
  }

  query() {
    const s = this.state;
    const q = new URLSearchParams();
    if (s.name) q.set('name', s.name);
    if (s.status) q.set('status', s.status);
    q.set('sort', s.sort); q.set('order', s.order);
    if (s.offset) q.set('offset', s.offset);
    if (s.limit !== 25) q.set('limit', s.limit);
    return q;
  }

  async load() {
    const q = this.query();
    const seq = (this.seq = (this.seq || 0) + 1);
    let data;
    try {
      data = await api('GET', `/console/api/jobs?${q}`);
    } catch (err) {
      this.error.textContent = `Could not load the jobs: ${err.message}`;
      this.error.hidden = false;
      return;
    }
    if (seq !== this.seq) return;  // a newer load went out meanwhile
    this.error.hidden = true;
    history.replaceState(null, '', `${location.pathname}?${q}`);
    this.render(data);
  }

  render(data) {
    const s = this.state;
    for (const th of this.head.children) {
      if (th.dataset.sort === s.sort) th.setAttribute('aria-sort', s.order === 'asc' ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    }
    const names = data.jobs.map((j) => j.name);
    const same = names.length === this.rows.size && names.every((n, i) => this.order && this.order[i] === n);
    if (same) {
      for (const j of data.jobs) this.updateRow(this.rows.get(j.name), j);
    } else {
      this.rows = new Map();
      this.order = names;
      this.body.replaceChildren(...data.jobs.map((j) => {
        const row = this.makeRow(j);
        this.rows.set(j.name, row);
        return row.tr;
      }));
    }
    this.empty.hidden = data.jobs.length > 0;
    this.empty.textContent = data.total === 0 && !s.name && !s.status
      ? 'No labeling jobs yet. Create one with aws sagemaker create-labeling-job.' : 'No job matches the filter.';
    const from = data.total ? data.offset + 1 : 0;
    this.range.textContent = `${fmtInt(from)}–${fmtInt(data.offset + data.jobs.length)} of ${fmtInt(data.total)}`;
    this.prev.disabled = data.offset === 0;
    this.next.disabled = data.offset + data.jobs.length >= data.total;
  }

  makeRow(j) {
    const row = {
      status: el('span'),
      bar: progressBar(j.counters),
      caption: el('div', { class: 'bar-caption' }),
    };
    row.tr = el('tr', { 'data-job': j.name },
      el('td', {}, el('a', { class: 'job-name', href: `/console/jobs/${encodeURIComponent(j.name)}`, text: j.name })),
      el('td', {}, row.status),
      el('td', { class: 'hide-narrow', text: j.taskType }),
      el('td', { class: 'hide-narrow', text: fmtTime(j.created) }),
      el('td', {}, row.bar, row.caption));
    this.updateRow(row, j);
    return row;
  }

  updateRow(row, j) {
    row.status.className = `status ${j.status}`;
    row.status.textContent = j.status;
    updateProgressBar(row.bar, j.counters);
    const c = j.counters;
    row.caption.textContent = `${fmtInt(c.labeled)} / ${fmtInt(c.total)} labeled` +
      (c.failed ? ` · ${fmtInt(c.failed)} failed` : '') + (c.inProgress ? ` · ${fmtInt(c.inProgress)} in progress` : '');
  }
});
