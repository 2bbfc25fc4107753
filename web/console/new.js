// The create-job wizard: name and task type, the data (a manifest URI, or a
// file uploaded through the console), the labels (an editor), the template
// (an editor with a live preview on the manifest's first object, in the same
// sandbox as View labeling tool), the work team and workers per object, time
// limits and a KMS key. It shows the equivalent `aws sagemaker
// create-labeling-job` command as it goes, and on Create writes the label
// category file and the template (and the manifest, when uploaded) to the
// job's input folder, then calls POST /console/api/jobs with the same
// request the command sends. ?from=JOB starts from a job's configuration.
import { api, el, jobPath, meta } from './api.js';

const CROWD_URL = 'https://assets.crowd.aws/crowd-html-elements.js';
const LOCAL_CROWD_URL = new URL('/crowd/crowd-html-elements.js', location.origin).href;
const nonce = meta('plumbline-nonce');
const NAME_RE = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const GT_ACCOUNT = '081040173940';

// A starting template per kind of task type: the crowd element Ground Truth's
// own templates use, with the task's object and labels.
const TEMPLATES = {
  text: `<script src="${CROWD_URL}"></script>
<crowd-form>
  <crowd-classifier name="crowd-classifier" categories="{{ task.input.labels | to_json | escape }}" header="Please classify">
    <classification-target>
      <strong>{{ task.input.taskObject }}</strong>
    </classification-target>
    <full-instructions header="Full instructions"><p>Pick the label that fits best.</p></full-instructions>
    <short-instructions>Pick one label.</short-instructions>
  </crowd-classifier>
</crowd-form>
`,
  textMulti: `<script src="${CROWD_URL}"></script>
<crowd-form>
  <crowd-classifier-multi-select name="crowd-classifier-multi-select" categories="{{ task.input.labels | to_json | escape }}" header="Select all that apply">
    <classification-target>{{ task.input.taskObject }}</classification-target>
    <full-instructions header="Full instructions"><p>Select every label that applies.</p></full-instructions>
    <short-instructions>Select all that apply.</short-instructions>
  </crowd-classifier-multi-select>
</crowd-form>
`,
  image: `<script src="${CROWD_URL}"></script>
<crowd-form>
  <crowd-image-classifier name="crowd-image-classifier" src="{{ task.input.taskObject | grant_read_access }}" header="Please classify" categories="{{ task.input.labels | to_json | escape }}">
    <full-instructions header="Full instructions"><p>Pick the label that fits best.</p></full-instructions>
    <short-instructions>Pick one label.</short-instructions>
  </crowd-image-classifier>
</crowd-form>
`,
  ner: `<script src="${CROWD_URL}"></script>
<crowd-form>
  <crowd-entity-annotation name="crowd-entity-annotation" header="Highlight the entities" labels="{{ task.input.labels | to_json | escape }}" text="{{ task.input.taskObject | escape }}">
    <full-instructions header="Full instructions"><p>Highlight each entity and pick its label.</p></full-instructions>
    <short-instructions>Highlight the entities.</short-instructions>
  </crowd-entity-annotation>
</crowd-form>
`,
  // PlumblineShapes: any of crowd-polygon, crowd-line, crowd-polyline and
  // crowd-keypoint; each element's answer is consolidated under its name.
  shapes: `<script src="${CROWD_URL}"></script>
<crowd-form>
  <crowd-polygon name="crowd-polygon" src="{{ task.input.taskObject | grant_read_access }}" header="Outline each object" labels="{{ task.input.labels | to_json | escape }}">
    <full-instructions header="Full instructions"><p>Draw a polygon around each object and pick its label.</p></full-instructions>
    <short-instructions>Outline each object.</short-instructions>
  </crowd-polygon>
</crowd-form>
`,
};
const templateFor = (type) => (type === 'NamedEntityRecognition' ? TEMPLATES.ner
  : type === 'PlumblineShapes' ? TEMPLATES.shapes
  : type === 'ImageMultiClass' ? TEMPLATES.image
    : /MultiLabel/.test(type) ? TEMPLATES.textMulti : TEMPLATES.text);

function prepare(html) {
  let out = html;
  for (const q of ['"', "'"]) out = out.split(`src=${q}${CROWD_URL}${q}`).join(`src=${q}${LOCAL_CROWD_URL}${q}`);
  return out.replace(/<script\b/gi, `<script nonce="${nonce}"`);
}
const shellQuote = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

customElements.define('plb-wizard', class extends HTMLElement {
  async connectedCallback() {
    this.build();
    const [types, teams, keys] = await Promise.all([
      api('GET', '/console/api/task-types'), api('GET', '/console/api/workteams'), api('GET', '/console/api/kms-keys')]);
    this.type.replaceChildren(...types.taskTypes.map((t) => el('option', { value: t.name, text: t.name })));
    this.team.replaceChildren(...(teams.workteams.length ? teams.workteams.map((t) => el('option', { value: t.arn, text: `${t.name} (groups: ${t.groups.join(', ') || 'none'})` }))
      : [el('option', { value: '', text: 'No work team yet: create one with aws sagemaker create-workteam' })]));
    this.kms.replaceChildren(el('option', { value: '', text: 'None: outputs in clear' }),
      ...keys.keys.map((k) => el('option', { value: k.keyId, text: `${k.aliases[0] || k.keyId}${k.description ? ` — ${k.description}` : ''}` })));
    const from = new URLSearchParams(location.search).get('from');
    if (from) await this.loadFrom(from);
    else {
      this.template.value = templateFor(this.type.value);
      this.setLabels(['label-1', 'label-2']);
    }
    this.update();
  }

  build() {
    const field = (label, input, hint) => el('label', { class: 'field' }, el('span', { text: label }), input, hint ? el('small', { class: 'muted', text: hint }) : null);
    const on = (n) => { n.addEventListener('input', () => this.update()); n.addEventListener('change', () => this.update()); return n; };
    this.name = on(el('input', { id: 'job-name', placeholder: 'my-labeling-job', autocomplete: 'off', spellcheck: 'false' }));
    this.type = on(el('select', { id: 'task-type' }));
    this.type.addEventListener('change', () => {
      if (!this.templateTouched) this.template.value = templateFor(this.type.value);
    });
    this.taskTitle = on(el('input', { id: 'task-title', value: 'Label the object' }));
    this.description = on(el('input', { id: 'task-description', value: 'Pick the label that fits best' }));
    this.folder = on(el('input', { id: 'input-folder', spellcheck: 'false' }));
    this.manifest = on(el('input', { id: 'manifest-uri', spellcheck: 'false', placeholder: 's3://bucket/dataset.manifest' }));
    this.file = el('input', { type: 'file', id: 'manifest-file', accept: '.manifest,.jsonl,.json,.txt' });
    this.file.addEventListener('change', () => this.readFile());
    this.firstLine = on(el('textarea', { id: 'first-line', rows: '2', spellcheck: 'false', placeholder: '{"source": "The object shown in the preview"}' }));
    this.labelList = el('div', { class: 'labels-editor', id: 'labels' });
    this.newLabel = el('input', { id: 'new-label', placeholder: 'Add a label', 'aria-label': 'New label' });
    this.newLabel.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); this.addLabel(); } });
    this.attribute = on(el('input', { id: 'label-attribute', value: 'label', spellcheck: 'false' }));
    this.template = el('textarea', { id: 'template', rows: '16', spellcheck: 'false', class: 'code' });
    this.template.addEventListener('input', () => { this.templateTouched = true; this.update(); });
    this.team = on(el('select', { id: 'team' }));
    this.workers = on(el('input', { id: 'workers', type: 'number', min: '1', max: '9', value: '1' }));
    this.timeLimit = on(el('input', { id: 'time-limit', type: 'number', min: '30', max: '604800', value: '300' }));
    this.lifetime = on(el('input', { id: 'lifetime', type: 'number', min: '60', max: '864000', value: '864000' }));
    this.kms = on(el('select', { id: 'kms-key' }));
    this.output = on(el('input', { id: 'output-path', spellcheck: 'false' }));
    this.command = el('pre', { class: 'json', id: 'cli-command' });
    this.problems = el('ul', { class: 'problems', id: 'problems' });
    this.error = el('div', { class: 'error-box', role: 'alert', hidden: true });
    this.stage = el('div', { class: 'stage', id: 'preview-stage' });
    this.previewNote = el('p', { class: 'muted', id: 'preview-note' });
    this.createBtn = el('button', { class: 'btn primary large', type: 'button', id: 'create', text: 'Create job', onclick: () => this.create() });
    const section = (n, title, ...body) => el('section', { class: 'card wizard-step' }, el('header', {}, el('h2', { text: `${n}. ${title}` })), el('div', { class: 'body form-grid' }, ...body));
    this.append(
      el('div', { class: 'crumbs' }, el('a', { href: '/console/', text: 'Labeling jobs' }), ' / '),
      el('div', { class: 'page-head' }, el('h1', { text: 'Create a labeling job' })),
      this.error,
      el('div', { class: 'wizard' },
        el('div', { class: 'wizard-form' },
          section(1, 'Job', field('Name', this.name, 'Letters, digits and hyphens; unique.'), field('Task type', this.type),
            field('Task title', this.taskTitle), field('Task description', this.description)),
          section(2, 'Data', field('Input folder', this.folder, 'The label category file and the template are written here.'),
            field('Input manifest', this.manifest, 'An s3:// URI the server can read, or upload a file:'), this.file,
            field('Object for the preview', this.firstLine, 'A manifest line; the first line of an uploaded file.')),
          section(3, 'Labels', field('Label attribute name', this.attribute), this.labelList,
            el('div', { class: 'row' }, this.newLabel, el('button', { class: 'btn', type: 'button', id: 'add-label', text: 'Add', onclick: () => this.addLabel() }))),
          section(4, 'Template', field('Worker task template (Liquid + HTML)', this.template, 'The preview updates as you type.')),
          section(5, 'Workers', field('Work team', this.team), field('Workers per object', this.workers),
            field('Task time limit (seconds)', this.timeLimit), field('Task availability (seconds)', this.lifetime),
            field('KMS key for the output', this.kms), field('Output path', this.output))),
        el('aside', { class: 'wizard-side' },
          el('section', { class: 'card' }, el('header', {}, el('h2', { text: 'Preview' })), el('div', { class: 'body' }, this.stage, this.previewNote)),
          el('section', { class: 'card' }, el('header', {}, el('h2', { text: 'The same with the aws CLI' })), el('div', { class: 'body' }, this.command)),
          el('section', { class: 'card' }, el('div', { class: 'body' }, this.problems, this.createBtn)))));
  }

  setLabels(labels) {
    this.labelList.replaceChildren(...labels.map((l) => this.labelRow(l)));
  }
  labelRow(text) {
    const input = el('input', { value: text, 'aria-label': 'Label', class: 'label-input' });
    input.addEventListener('input', () => this.update());
    const row = el('div', { class: 'row label-row' }, input,
      el('button', { class: 'btn quiet', type: 'button', text: 'Remove', 'aria-label': `Remove ${text}`, onclick: () => { row.remove(); this.update(); } }));
    return row;
  }
  addLabel() {
    const v = this.newLabel.value.trim();
    if (!v) return;
    this.labelList.append(this.labelRow(v));
    this.newLabel.value = '';
    this.update();
  }
  labels() { return [...this.labelList.querySelectorAll('input')].map((i) => i.value.trim()).filter(Boolean); }

  async readFile() {
    const f = this.file.files[0];
    if (!f) return;
    this.fileText = await f.text();
    const first = this.fileText.split('\n').find((l) => l.trim());
    if (first) this.firstLine.value = first;
    this.manifest.value = `${this.folderUri()}/${f.name.replace(/[^A-Za-z0-9._-]/g, '_')}`;
    this.update();
  }

  folderUri() { return (this.folder.value.trim() || `s3://console-jobs/${this.name.value.trim() || 'job'}`).replace(/\/+$/, ''); }

  async loadFrom(job) {
    try {
      const j = await api('GET', jobPath(job));
      const d = j.describe;
      const h = d.HumanTaskConfig || {};
      this.name.value = `${d.LabelingJobName}-copy`.slice(0, 63);
      this.type.value = j.taskType;
      this.taskTitle.value = h.TaskTitle || '';
      this.description.value = h.TaskDescription || '';
      this.manifest.value = d.InputConfig.DataSource.S3DataSource.ManifestS3Uri;
      this.attribute.value = d.LabelAttributeName;
      this.setLabels(j.labels);
      if (h.WorkteamArn) this.team.value = h.WorkteamArn;
      this.workers.value = h.NumberOfHumanWorkersPerDataObject || 1;
      this.timeLimit.value = h.TaskTimeLimitInSeconds || 300;
      this.lifetime.value = h.TaskAvailabilityLifetimeInSeconds || 864000;
      if (d.OutputConfig && d.OutputConfig.KmsKeyId) this.kms.value = d.OutputConfig.KmsKeyId;
      const preview = await api('POST', `${jobPath(job)}/preview`, {}).catch(() => null);
      if (preview) this.firstLine.value = JSON.stringify(preview.taskInput.manifestLine || { source: preview.taskInput.taskObject });
      this.template.value = j.template || templateFor(j.taskType);
      this.templateTouched = !!j.template;
    } catch (err) {
      this.error.textContent = `Could not read “${job}”: ${err.message}`;
      this.error.hidden = false;
    }
  }

  request() {
    const name = this.name.value.trim();
    const folder = this.folderUri();
    const type = this.type.value;
    const region = (this.team.value.split(':')[3]) || 'us-east-1';
    const output = this.output.value.trim() || `${folder}/output`;
    const req = {
      LabelingJobName: name,
      LabelAttributeName: this.attribute.value.trim(),
      InputConfig: { DataSource: { S3DataSource: { ManifestS3Uri: this.manifest.value.trim() } } },
      OutputConfig: { S3OutputPath: output },
      RoleArn: 'arn:aws:iam::000000000000:role/PlumblineConsole',
      LabelCategoryConfigS3Uri: `${folder}/categories.json`,
      HumanTaskConfig: {
        WorkteamArn: this.team.value,
        UiConfig: { UiTemplateS3Uri: `${folder}/template.html` },
        PreHumanTaskLambdaArn: `arn:aws:lambda:${region}:${GT_ACCOUNT}:function:PRE-${type}`,
        TaskTitle: this.taskTitle.value.trim(),
        TaskDescription: this.description.value.trim(),
        NumberOfHumanWorkersPerDataObject: Number(this.workers.value) || 1,
        TaskTimeLimitInSeconds: Number(this.timeLimit.value) || 300,
        TaskAvailabilityLifetimeInSeconds: Number(this.lifetime.value) || 864000,
        MaxConcurrentTaskCount: 1000,
        AnnotationConsolidationConfig: { AnnotationConsolidationLambdaArn: `arn:aws:lambda:${region}:${GT_ACCOUNT}:function:ACS-${type}` },
      },
    };
    if (this.kms.value) req.OutputConfig.KmsKeyId = this.kms.value;
    return req;
  }

  problemsOf(req) {
    const p = [];
    if (!NAME_RE.test(req.LabelingJobName)) p.push('Name: letters, digits and single hyphens, 1 to 63 characters.');
    if (!/^s3:\/\/[^/]+\/.+/.test(req.InputConfig.DataSource.S3DataSource.ManifestS3Uri)) p.push('Input manifest: an s3://BUCKET/KEY URI, or upload a file.');
    if (!/^s3:\/\/[^/]+\/.+/.test(this.folderUri())) p.push('Input folder: an s3://BUCKET/PREFIX URI.');
    if (this.labels().length < 1) p.push('Labels: at least one.');
    if (new Set(this.labels()).size !== this.labels().length) p.push('Labels: each label once.');
    if (!req.LabelAttributeName) p.push('Label attribute name: required.');
    if (!req.HumanTaskConfig.WorkteamArn) p.push('Work team: create one first.');
    if (!this.template.value.trim()) p.push('Template: required.');
    return p;
  }

  update() {
    this.folder.placeholder = `s3://console-jobs/${this.name.value.trim() || 'job'}`;
    this.output.placeholder = `${this.folderUri()}/output`;
    const req = this.request();
    const h = req.HumanTaskConfig;
    const args = [
      'aws sagemaker create-labeling-job --endpoint-url', location.origin,
      '\\\n  --labeling-job-name', shellQuote(req.LabelingJobName),
      '\\\n  --label-attribute-name', shellQuote(req.LabelAttributeName),
      '\\\n  --label-category-config-s3-uri', shellQuote(req.LabelCategoryConfigS3Uri),
      '\\\n  --role-arn', shellQuote(req.RoleArn),
      '\\\n  --input-config', shellQuote(JSON.stringify(req.InputConfig)),
      '\\\n  --output-config', shellQuote(JSON.stringify(req.OutputConfig)),
      '\\\n  --human-task-config', shellQuote(JSON.stringify(h)),
    ];
    this.command.textContent = `# after copying categories.json and template.html to ${this.folderUri()}/\n${args.join(' ')}`;
    const problems = this.problemsOf(req);
    this.problems.replaceChildren(...problems.map((t) => el('li', { text: t })));
    this.createBtn.disabled = problems.length > 0;
    clearTimeout(this.previewTimer);
    this.previewTimer = setTimeout(() => this.preview(), 350);
  }

  async preview() {
    const line = this.firstLine.value.trim() || '{"source": "An example object"}';
    const seq = (this.previewSeq = (this.previewSeq || 0) + 1);
    let r;
    try {
      r = await api('POST', '/console/api/render-template', { template: this.template.value, line, labels: this.labels(), taskType: this.type.value });
    } catch (err) {
      if (seq !== this.previewSeq) return;
      this.previewNote.textContent = err.message;
      this.previewNote.className = 'error-box';
      return;
    }
    if (seq !== this.previewSeq) return;
    if (r.problem) {
      this.previewNote.textContent = `${r.problem.field === 'line' ? 'First object' : 'Template'}: ${r.problem.message}`;
      this.previewNote.className = 'error-box';
      return;
    }
    this.previewNote.className = 'muted';
    this.previewNote.textContent = 'The first object, as a worker will see it. Answers are not sent anywhere.';
    const frame = document.createElement('iframe');
    frame.setAttribute('sandbox', 'allow-scripts');
    frame.setAttribute('title', 'Template preview');
    frame.className = 'task';
    frame.srcdoc = prepare(r.html);
    this.stage.replaceChildren(frame);
  }

  async create() {
    const req = this.request();
    const folder = this.folderUri();
    this.createBtn.disabled = true;
    this.error.hidden = true;
    const upload = (uri, text) => fetch(`/console/api/upload?uri=${encodeURIComponent(uri)}`, { method: 'POST', credentials: 'same-origin',
      headers: { 'X-CSRF-Token': meta('plumbline-csrf'), 'Content-Type': 'application/octet-stream' }, body: text })
      .then(async (r) => { if (!r.ok) throw new Error(`${uri}: ${(await r.json()).message}`); });
    try {
      const categories = { 'document-version': '2018-11-28', labels: this.labels().map((label) => ({ label })) };
      await upload(`${folder}/categories.json`, JSON.stringify(categories, null, 2));
      await upload(`${folder}/template.html`, this.template.value);
      if (this.fileText != null) await upload(req.InputConfig.DataSource.S3DataSource.ManifestS3Uri, this.fileText);
      await api('POST', '/console/api/jobs', req);
      location.assign(`/console/jobs/${encodeURIComponent(req.LabelingJobName)}`);
    } catch (err) {
      this.error.textContent = `The job was not created: ${err.message}`;
      this.error.hidden = false;
      this.createBtn.disabled = false;
    }
  }
});
