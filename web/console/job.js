// A job's page: its configuration (DescribeLabelingJob's answer), counters,
// progress over time and throughput, label distribution, the per-worker
// table and the objects browser; Stop, View labeling tool and the output
// manifest. Counters and figures refresh whenever the store commits.
import { api, el, jobPath, meta, fmtInt, fmtPct, fmtSeconds, fmtTime, progressBar, updateProgressBar, legend, watchChanges } from './api.js';
import { progressChart, barChart } from './charts.js';

const TERMINAL = ['Completed', 'Failed', 'Stopped'];
const pretty = (v) => JSON.stringify(v, null, 2);

customElements.define('plb-job', class extends HTMLElement {
  connectedCallback() {
    this.name = meta('plumbline-job');
    this.abort = new AbortController();
    this.objectsFrom = [0];
    this.build();
    this.load().then(() => {
      this.loadStats();
      this.loadObjects();
      watchChanges(() => this.refresh(), this.abort.signal);
    });
  }
  disconnectedCallback() { this.abort.abort(); }

  build() {
    const $ = (tag, props, ...c) => el(tag, props, ...c);
    this.heading = $('h1', { text: this.name, id: 'job-name' });
    this.status = $('span', { class: 'status' });
    this.stopBtn = $('button', { class: 'btn danger', type: 'button', id: 'stop', text: 'Stop job', onclick: () => this.stop() });
    this.toolLink = $('a', { class: 'btn primary', id: 'tool', href: `/console/jobs/${encodeURIComponent(this.name)}/tool`, text: 'View labeling tool' });
    this.cloneBtn = $('button', { class: 'btn', type: 'button', id: 'clone', text: 'Clone', onclick: () => this.clone() });
    this.copyLink = $('a', { class: 'btn quiet', id: 'edit-copy', href: `/console/new?from=${encodeURIComponent(this.name)}`, text: 'Edit a copy…' });
    this.outputLink = $('a', { class: 'btn', id: 'output', href: `${jobPath(this.name)}/output`, text: 'Download output manifest', hidden: true,
      onclick: (e) => { if (this.job && this.job.encrypted) { e.preventDefault(); this.downloadDecrypted(); } } });
    this.error = $('div', { class: 'error-box', role: 'alert', hidden: true });
    this.counters = $('div', { class: 'counters', id: 'counters' });
    this.bar = progressBar({ total: 0, labeled: 0, failed: 0, inProgress: 0, left: 0 });
    this.chart = $('div', { id: 'progress-chart' });
    this.throughput = $('p', { class: 'muted', id: 'throughput' });
    this.labels = $('div', { id: 'labels' });
    this.workers = $('tbody');
    this.config = $('dl', { class: 'config', id: 'config' });
    this.raw = $('pre', { class: 'json' });
    this.objects = $('div', { id: 'objects' });
    this.filter = $('select', { 'aria-label': 'Show objects', id: 'object-filter', onchange: () => this.resetObjects() },
      $('option', { value: 'all', text: 'All objects' }),
      $('option', { value: 'low-confidence', text: 'Low confidence' }),
      $('option', { value: 'disagreement', text: 'Workers disagree' }),
      $('option', { value: 'labeled', text: 'Labeled' }),
      $('option', { value: 'open', text: 'Not finished' }),
      $('option', { value: 'failed', text: 'Failed' }));
    this.threshold = $('input', { type: 'number', min: '0', max: '1', step: '0.05', value: '0.75', 'aria-label': 'Confidence below', style: 'width:80px', onchange: () => this.resetObjects() });
    this.objPrev = $('button', { class: 'btn', type: 'button', text: 'Previous', onclick: () => { this.objectsFrom.pop(); this.loadObjects(); } });
    this.objNext = $('button', { class: 'btn', type: 'button', text: 'Next', onclick: () => { this.objectsFrom.push(this.nextFrom); this.loadObjects(); } });
    this.objRange = $('span');

    this.append(
      $('div', { class: 'crumbs' }, $('a', { href: '/console/', text: 'Labeling jobs' }), ' / '),
      $('div', { class: 'page-head' }, this.heading, this.status, $('span', { class: 'live', text: 'live' }), $('span', { class: 'grow' }),
        this.toolLink, this.cloneBtn, this.copyLink, this.outputLink, this.stopBtn),
      this.error,
      this.counters,
      $('section', { class: 'card', style: 'margin-bottom:16px' }, $('div', { class: 'body' }, this.bar, $('div', { style: 'margin-top:8px' }, legend()))),
      $('div', { class: 'grid' },
        $('section', { class: 'card' }, $('header', {}, $('h2', { text: 'Progress over time' }),
          $('span', { class: 'legend' }, $('span', {}, $('i', { style: 'background:var(--primary)' }), 'Answers'),
            $('span', {}, $('i', { style: 'background:var(--c-labeled)' }), 'Objects finished'),
            $('span', {}, $('i', { style: 'background:rgba(208,138,0,.45)' }), 'Answers per minute'))),
        $('div', { class: 'body' }, this.chart, this.throughput)),
        $('section', { class: 'card' }, $('header', {}, $('h2', { text: 'Label distribution' })), $('div', { class: 'body' }, this.labels))),
      $('section', { class: 'card', style: 'margin-bottom:16px' }, $('header', {}, $('h2', { text: 'Workers' })),
        $('div', { class: 'table-wrap' }, $('table', { id: 'workers' },
          $('thead', {}, $('tr', {}, ['Worker', 'Answers', 'Median time per task', 'Agreement with the label', 'Estimated reliability']
            .map((h, i) => $('th', { class: i ? 'num' : null, scope: 'col', text: h })))), this.workers))),
      $('section', { class: 'card', style: 'margin-bottom:16px' }, $('header', {}, $('h2', { text: 'Objects' }),
        this.filter, $('label', { class: 'row muted' }, 'confidence below', this.threshold)),
      this.objects, $('div', { class: 'pager' }, this.objRange, this.objPrev, this.objNext)),
      $('section', { class: 'card' }, $('header', {}, $('h2', { text: 'Configuration' })),
        $('div', { class: 'body' }, this.config, $('details', { class: 'raw' }, $('summary', { text: 'DescribeLabelingJob (JSON)' }), this.raw))));
  }

  async load() {
    let job;
    try {
      job = await api('GET', jobPath(this.name));
    } catch (err) {
      this.error.textContent = err.status === 404 ? `There is no job named “${this.name}”.` : `Could not load the job: ${err.message}`;
      this.error.hidden = false;
      return;
    }
    this.error.hidden = true;
    this.job = job;
    const d = job.describe;
    document.title = `${d.LabelingJobName} · Plumbline console`;
    this.status.className = `status ${d.LabelingJobStatus}`;
    this.status.textContent = d.LabelingJobStatus;
    this.stopBtn.hidden = TERMINAL.includes(d.LabelingJobStatus) || d.LabelingJobStatus === 'Stopping';
    this.outputLink.hidden = !job.outputWritten;
    this.outputLink.textContent = job.encrypted ? 'Download output manifest (decrypted)' : 'Download output manifest';
    const c = job.counters;
    const counter = (cls, label, n) => el('div', { class: `counter ${cls}` }, el('b', { text: fmtInt(n) }), el('span', { text: label }));
    this.counters.replaceChildren(counter('total', 'Objects', c.total), counter('labeled', 'Labeled', c.labeled),
      counter('failed', 'Failed', c.failed), counter('progress', 'In progress', c.inProgress), counter('left', 'Left', c.left));
    updateProgressBar(this.bar, c);
    this.renderConfig(job);
  }

  renderConfig(job) {
    const d = job.describe;
    const h = d.HumanTaskConfig || {};
    const rows = [
      ['ARN', d.LabelingJobArn],
      ['Created', fmtTime(d.CreationTime * 1000)],
      ['Task type', job.taskType],
      ['Title', h.TaskTitle],
      ['Work team', h.WorkteamArn],
      ['Workers per object', h.NumberOfHumanWorkersPerDataObject],
      ['Task time limit', h.TaskTimeLimitInSeconds != null ? fmtSeconds(h.TaskTimeLimitInSeconds) : null],
      ['Labels', job.labels.join(', ')],
      ['Label attribute', d.LabelAttributeName],
      ['Input manifest', d.InputConfig && d.InputConfig.DataSource && d.InputConfig.DataSource.S3DataSource && d.InputConfig.DataSource.S3DataSource.ManifestS3Uri],
      ['Output path', d.OutputConfig && d.OutputConfig.S3OutputPath],
      ['KMS key', d.OutputConfig && d.OutputConfig.KmsKeyId],
      ['Output manifest', d.LabelingJobOutput && d.LabelingJobOutput.OutputDatasetS3Uri],
      ['Failure reason', d.FailureReason],
    ].filter(([, v]) => v != null && v !== '');
    this.config.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: String(v) })]));
    this.raw.textContent = pretty(d);
  }

  async loadStats() {
    let s;
    const started = Date.now();
    try { s = await api('GET', `${jobPath(this.name)}/stats`); } catch (err) { return; }
    this.lastStats = Date.now();
    // The figures read every object and answer of the job: on a large job
    // they are refreshed less often (at least 3 s apart, and at least ten
    // times as long as they took).
    this.statsEvery = Math.max(3000, 10 * (this.lastStats - started));
    this.chart.replaceChildren(progressChart(s.progress, { total: s.total }));
    const t = s.throughput;
    this.throughput.textContent = t.answers
      ? `${fmtInt(t.answers)} answers · ${t.perMinute.toFixed(1)} per minute overall · ${t.lastFiveMinutesPerMinute.toFixed(1)} per minute in the last five minutes`
      : 'No answers yet.';
    this.labels.replaceChildren(
      el('h3', { class: 'muted', style: 'font-size:13px;margin-bottom:6px', text: 'Consolidated labels' }),
      barChart(s.labels.consolidated),
      el('h3', { class: 'muted', style: 'font-size:13px;margin:12px 0 6px', text: 'All answers' }),
      barChart(s.labels.answers, { alt: true }));
    this.workers.replaceChildren(...(s.workers.length ? s.workers.map((w) => el('tr', {},
      el('td', { text: w.worker }),
      el('td', { class: 'num', text: fmtInt(w.answers) }),
      el('td', { class: 'num', text: fmtSeconds(w.medianSeconds) }),
      el('td', { class: 'num', text: w.agreement == null ? '–' : `${fmtPct(w.agreement)} of ${w.compared}` }),
      el('td', { class: 'num', text: w.compared ? w.reliability.toFixed(2) : '–' })))
      : [el('tr', {}, el('td', { colspan: '5', class: 'empty', text: 'No answers yet.' }))]));
  }

  resetObjects() { this.objectsFrom = [0]; this.loadObjects(); }

  async loadObjects() {
    const from = this.objectsFrom[this.objectsFrom.length - 1];
    const q = new URLSearchParams({ from, limit: 10, filter: this.filter.value, threshold: this.threshold.value || '0.75' });
    let r;
    try { r = await api('GET', `${jobPath(this.name)}/objects?${q}`); } catch (err) {
      this.objects.replaceChildren(el('div', { class: 'error-box', text: err.message }));
      return;
    }
    this.nextFrom = r.next;
    this.objPrev.disabled = this.objectsFrom.length <= 1;
    this.objNext.disabled = r.next == null;
    this.objRange.textContent = r.objects.length
      ? `objects ${fmtInt(r.objects[0].index)}–${fmtInt(r.objects[r.objects.length - 1].index)} of ${fmtInt(r.total)}`
      : `none of objects ${fmtInt(from)}–${fmtInt(from + r.scanned)} of ${fmtInt(r.total)}`;
    if (!r.objects.length) {
      this.objects.replaceChildren(el('div', { class: 'empty', text: r.next == null ? 'No object matches.' : 'None in this stretch; go on with Next.' }));
      return;
    }
    this.objects.replaceChildren(...r.objects.map((o) => this.objectView(o)));
  }

  objectView(o) {
    const source = o.source != null ? o.source : o.sourceRef != null ? o.sourceRef : JSON.stringify(o.line);
    const chips = [];
    if (o.label != null) chips.push(el('span', { class: 'chip', text: o.label }));
    if (o.confidence != null) chips.push(el('span', { class: `chip ${o.confidence < Number(this.threshold.value || 0.75) ? 'warn' : ''}`, text: `confidence ${o.confidence.toFixed(2)}` }));
    if (o.disagreement) chips.push(el('span', { class: 'chip warn', text: 'workers disagree' }));
    if (o.state !== 'labeled') chips.push(el('span', { class: `chip ${o.state === 'failed' ? 'bad' : ''}`, text: o.state === 'open' ? 'not finished' : 'failed' }));
    return el('div', { class: 'object', 'data-index': o.index },
      el('div', { class: 'idx', text: `#${o.index}` }),
      el('div', {},
        el('div', { class: 'source', text: source }),
        el('div', { style: 'margin:4px 0' }, chips, o.failureReason ? el('span', { class: 'muted', text: o.failureReason }) : null),
        el('div', { class: 'answers' }, o.answers.map((a) => el('div', {},
          el('b', { text: a.worker }), ': ', a.label != null ? el('span', { text: a.label }) : el('code', { text: JSON.stringify(a.answer) }),
          el('span', { class: 'muted', text: ` · ${fmtSeconds(a.timeSpentSeconds)}` })))),
        el('details', { class: 'raw' }, el('summary', { text: 'Line, answers and consolidated label (JSON)' }),
          el('pre', { class: 'json', text: pretty({ line: o.line, answers: o.answers.map((a) => ({ worker: a.worker, answer: a.answer })), consolidated: o.consolidated }) }))));
  }

  async refresh() {
    await this.load();
    const every = this.statsEvery || 3000;
    if (!this.lastStats || Date.now() - this.lastStats > every) await this.loadStats();
    else if (!this.statsTimer) this.statsTimer = setTimeout(() => { this.statsTimer = null; this.loadStats(); }, every);
  }

  // Clone: a new job with this one's configuration, under a name asked for.
  async clone() {
    const name = prompt('Name of the new job (letters, digits and hyphens):', `${this.name}-clone`.slice(0, 63));
    if (!name) return;
    try {
      await api('POST', `${jobPath(this.name)}/clone`, { name: name.trim() });
      location.assign(`/console/jobs/${encodeURIComponent(name.trim())}`);
    } catch (err) {
      this.error.textContent = `Could not clone the job: ${err.message}`;
      this.error.hidden = false;
    }
  }

  // An encrypted output: the server decrypts it when the key policy lets
  // this admin decrypt; else its 403 says why, shown here instead of a file.
  async downloadDecrypted() {
    this.error.hidden = true;
    let res;
    try {
      res = await fetch(`${jobPath(this.name)}/output`, { credentials: 'same-origin', cache: 'no-store' });
    } catch (e) {
      this.error.textContent = 'Cannot reach the server. Check your connection and try again.';
      this.error.hidden = false;
      return;
    }
    if (!res.ok) {
      let message = `The server answered ${res.status}.`;
      try { message = (await res.json()).message || message; } catch (e) { /* not JSON */ }
      this.error.textContent = `Could not download the output: ${message}`;
      this.error.hidden = false;
      return;
    }
    const url = URL.createObjectURL(await res.blob());
    const a = el('a', { href: url, download: `${this.name}.output.manifest`, hidden: true });
    this.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  async stop() {
    if (!confirm(`Stop “${this.name}”? Workers get no new tasks of it; the output is written with what is labeled so far.`)) return;
    this.stopBtn.disabled = true;
    try {
      await api('POST', `${jobPath(this.name)}/stop`, {});
    } catch (err) {
      this.error.textContent = `Could not stop the job: ${err.message}`;
      this.error.hidden = false;
    }
    this.stopBtn.disabled = false;
    await this.load();
  }
});
