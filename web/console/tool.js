// View labeling tool: the job's template rendered for one of its objects (or
// a manifest line pasted here) by POST /console/api/jobs/{job}/preview, shown
// exactly as the worker portal shows a task: a srcdoc iframe with
// sandbox="allow-scripts" (an opaque origin: it reaches neither this page nor
// its cookies), Ground Truth's crowd-elements URL pointed at this server's
// copy, and this response's CSP nonce on the template's own scripts (the
// portal's web/portal/task.js does the same). What the form submits is
// shown as JSON beside the task instead of being sent anywhere.
import { api, el, jobPath, meta, fmtInt } from './api.js';

const CROWD_URL = 'https://assets.crowd.aws/crowd-html-elements.js';
const LOCAL_CROWD_URL = new URL('/crowd/crowd-html-elements.js', location.origin).href;
const nonce = meta('plumbline-nonce');

function prepare(html) {
  let out = html;
  for (const q of ['"', "'"]) out = out.split(`src=${q}${CROWD_URL}${q}`).join(`src=${q}${LOCAL_CROWD_URL}${q}`);
  return out.replace(/<script\b/gi, `<script nonce="${nonce}"`);
}

customElements.define('plb-tool', class extends HTMLElement {
  connectedCallback() {
    this.name = meta('plumbline-job');
    this.index = Math.max(0, Number(new URLSearchParams(location.search).get('object')) || 0);
    this.build();
    window.addEventListener('message', (e) => this.onMessage(e));
    this.init();
  }

  build() {
    this.stage = el('div', { class: 'stage', id: 'stage' });
    this.indexInput = el('input', { type: 'number', min: '0', value: String(this.index), 'aria-label': 'Object number', style: 'width:90px' });
    this.total = el('span', { class: 'muted' });
    this.line = el('textarea', { id: 'line', placeholder: '{"source": "A sentence to label"}', 'aria-label': 'A manifest line' });
    this.answer = el('pre', { class: 'json', id: 'answer', text: 'Submit the form to see the answer a worker would send.' });
    this.input = el('pre', { class: 'json', id: 'task-input' });
    this.error = el('div', { class: 'error-box', role: 'alert', hidden: true });
    this.showing = el('p', { class: 'muted', id: 'showing' });
    const go = (delta) => { this.index = Math.max(0, this.index + delta); this.indexInput.value = String(this.index); this.renderObject(); };
    this.append(
      el('div', { class: 'crumbs' }, el('a', { href: '/console/', text: 'Labeling jobs' }), ' / ',
        el('a', { href: `/console/jobs/${encodeURIComponent(this.name)}`, text: this.name }), ' / '),
      el('div', { class: 'page-head' }, el('h1', { text: 'View labeling tool' }), el('span', { class: 'grow' }),
        el('span', { class: 'note', text: 'Preview: answers are shown here, never submitted.' })),
      this.error,
      el('div', { class: 'tool' },
        el('div', {}, this.stage, this.showing),
        el('aside', {},
          el('section', { class: 'card' }, el('header', {}, el('h2', { text: 'Object of the job' })),
            el('div', { class: 'body row' },
              el('button', { class: 'btn', type: 'button', text: '‹', 'aria-label': 'Previous object', onclick: () => go(-1) }),
              this.indexInput,
              el('button', { class: 'btn', type: 'button', text: '›', 'aria-label': 'Next object', onclick: () => go(1) }),
              el('button', { class: 'btn primary', type: 'button', id: 'show-object', text: 'Show', onclick: () => { this.index = Math.max(0, Number(this.indexInput.value) || 0); this.renderObject(); } }),
              this.total)),
          el('section', { class: 'card' }, el('header', {}, el('h2', { text: 'Or paste a manifest line' })),
            el('div', { class: 'body' }, this.line,
              el('button', { class: 'btn', type: 'button', id: 'render-line', text: 'Render this line', style: 'margin-top:8px', onclick: () => this.renderLine() }))),
          el('section', { class: 'card' }, el('header', {}, el('h2', { text: 'Answer (JSON)' })), el('div', { class: 'body' }, this.answer)),
          el('section', { class: 'card' }, el('header', {}, el('h2', { text: 'task.input' })), el('div', { class: 'body' }, this.input)))));
  }

  async init() {
    try {
      const job = await api('GET', jobPath(this.name));
      this.count = job.counters.total;
      this.total.textContent = `of ${fmtInt(job.counters.total)} (0-based)`;
      this.indexInput.max = String(Math.max(0, job.counters.total - 1));
    } catch (err) { /* the preview says what is wrong */ }
    this.renderObject();
  }

  renderObject() { return this.render({ index: this.index }, `Object #${this.index} of the job`); }
  renderLine() {
    const text = this.line.value.trim();
    if (!text) { this.fail('Paste a manifest line first: one JSON object, e.g. {"source": "…"}.'); return; }
    return this.render({ line: text }, 'The pasted line');
  }

  fail(message) {
    this.error.textContent = message;
    this.error.hidden = false;
  }

  async render(body, what) {
    let r;
    try {
      r = await api('POST', `${jobPath(this.name)}/preview`, body);
    } catch (err) {
      this.fail(err.message);
      return;
    }
    this.error.hidden = true;
    this.input.textContent = JSON.stringify(r.taskInput, null, 2);
    this.answer.textContent = 'Submit the form to see the answer a worker would send.';
    if (this.frame) this.frame.remove();
    const frame = document.createElement('iframe');
    frame.setAttribute('sandbox', 'allow-scripts');
    frame.setAttribute('title', 'Task preview');
    frame.setAttribute('referrerpolicy', 'no-referrer');
    frame.className = 'task';
    frame.srcdoc = prepare(r.html || '<p>This job has no template.</p>');
    this.frame = frame;
    this.stage.append(frame);
    this.showing.textContent = `${what}, as a worker sees it.`;
    if (body.index != null) history.replaceState(null, '', `${location.pathname}?object=${body.index}`);
  }

  onMessage(e) {
    if (!this.frame || e.source !== this.frame.contentWindow) return;
    const d = e.data;
    if (!d || typeof d !== 'object') return;
    if (d.type === 'plumbline:submit') {
      this.answer.textContent = JSON.stringify(d.answer, null, 2);
      this.answer.classList.add('fresh');
      // Unlocks the form so that another answer can be tried.
      try {
        this.frame.contentWindow.postMessage({ type: 'plumbline:submit-result', ok: false,
          message: 'Preview only: the answer is shown beside the task, not submitted.' }, '*');
      } catch (err) { /* frame gone */ }
    } else if (d.type === 'plumbline:invalid') {
      this.answer.textContent = `The form refused to submit: ${d.message || 'invalid'}`;
    }
  }
});
