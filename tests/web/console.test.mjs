// The admin console end to end: a real `plumbline serve`, the seed's job (two
// workers per object) and a job with hostile label and object strings, both
// made with Debian's aws CLI. An admin signs in through the console's sign-in
// page (a worker is refused), watches the job list's progress bars move while
// simulated workers label through the worker JSON API, opens the job page
// (plot, label distribution, per-worker table, objects browser), View
// labeling tool (the seed's template with the seed's sentence and its larger
// Submit button, the answer shown as JSON), and stops a job. Screenshots at
// 1280×800 and 390×844. Needs build/plumbline (or PLUMBLINE_BINARY) and
// /usr/bin/aws; skips without them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launch, REPO, SHARED, SCREENSHOTS } from './lib.mjs';

const BINARY = path.resolve(REPO, process.env.PLUMBLINE_BINARY || 'build/plumbline');
const AWS = process.env.AWS_CLI || '/usr/bin/aws';
const KEY = 'AKIAPLUMBLINECONSOLE';
const SECRET = 'console-test-secret-key-0123456789abcdefgh';
const BUCKET = 'seed-bucket';
const JOB = 'console-seed-job';
const HOSTILE_JOB = 'hostile-job';
const ADMIN = 'boss';
const WORKERS = ['ann', 'bob'];
const PASSWORD = 'a-long-password';
const SEED = path.join(SHARED, 'seed');
const XSS_LABEL = '<img src=x onerror="window.__pwned=1">';
const XSS_OBJECT = '<script>window.__pwned=2</script><b>bold?</b>';
// The label each worker gives each seed line: they disagree on lines 1 and 4.
const ANSWERS = {
  ann: ['person', 'animal', 'plant', 'animal', 'plant', 'person', 'person'],
  bob: ['person', 'plant', 'plant', 'animal', 'animal', 'person', 'person'],
};

const skipReason = !fs.existsSync(BINARY) ? `no server binary at ${BINARY}` : !fs.existsSync(AWS) ? `no aws CLI at ${AWS}` : null;

let dir, server, base, browser, page;
const errors = [];
const dialogs = [];

function aws(...args) {
  const out = execFileSync(AWS, ['--endpoint-url', base, '--region', 'us-west-2', '--output', 'json', ...args], {
    env: { ...process.env, AWS_ACCESS_KEY_ID: KEY, AWS_SECRET_ACCESS_KEY: SECRET, AWS_DEFAULT_REGION: 'us-west-2',
      AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: os.devnull, AWS_SHARED_CREDENTIALS_FILE: os.devnull, AWS_PAGER: '' },
    encoding: 'utf8', timeout: 30000,
  });
  return out.trim() ? JSON.parse(out) : {};
}

async function waitStatus(job, statuses, timeoutMs = 20000) {
  const end = Date.now() + timeoutMs;
  let d;
  while (Date.now() < end) {
    d = aws('sagemaker', 'describe-labeling-job', '--labeling-job-name', job);
    if (statuses.includes(d.LabelingJobStatus)) return d;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`job ${job} did not reach ${statuses}: ${JSON.stringify(d)}`);
}

function startServer() {
  return new Promise((resolve, reject) => {
    const p = spawn(BINARY, ['serve', '--data-dir', dir, '--listen', '127.0.0.1:0'], {
      env: { ...process.env, PLUMBLINE_ROOT_ACCESS_KEY_ID: KEY, PLUMBLINE_ROOT_SECRET_ACCESS_KEY: SECRET },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 15000);
    const onData = (b) => {
      out += b;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) { clearTimeout(timer); resolve({ proc: p, url: m[1] }); }
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', (b) => { out += b; });
    p.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}: ${out}`)); });
  });
}

function addUser(name, extra = []) {
  execFileSync(BINARY, ['users', 'add', '--data-dir', dir, '--username', name, '--password-stdin', ...extra],
    { input: `${PASSWORD}\n`, stdio: ['pipe', 'ignore', 'inherit'] });
}

function createJob(name, manifest, categories, workers) {
  aws('sagemaker', 'create-labeling-job', '--labeling-job-name', name, '--label-attribute-name', 'aws-blog-demo',
    '--label-category-config-s3-uri', `s3://${BUCKET}/${categories}`,
    '--role-arn', 'arn:aws:iam::123456789012:role/GroundTruthExecutionRole',
    '--input-config', JSON.stringify({ DataSource: { S3DataSource: { ManifestS3Uri: `s3://${BUCKET}/${manifest}` } } }),
    '--output-config', JSON.stringify({ S3OutputPath: `s3://${BUCKET}/output` }),
    '--human-task-config', JSON.stringify({
      AnnotationConsolidationConfig: { AnnotationConsolidationLambdaArn: 'arn:aws:lambda:us-west-2:081040173940:function:ACS-TextMultiClass' },
      TaskAvailabilityLifetimeInSeconds: 21600, TaskTimeLimitInSeconds: 3600, NumberOfHumanWorkersPerDataObject: workers,
      PreHumanTaskLambdaArn: 'arn:aws:lambda:us-west-2:081040173940:function:PRE-TextMultiClass',
      WorkteamArn: globalThis.teamArn, TaskDescription: 'Select all labels that apply', MaxConcurrentTaskCount: 1000,
      TaskTitle: 'Text classification task', UiConfig: { UiTemplateS3Uri: `s3://${BUCKET}/worker_gui.html` },
    }));
}

// A worker of the simulated crowd: signs in to the worker JSON API and labels.
async function workerSession(name) {
  const r = await fetch(`${base}/worker/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: name, password: PASSWORD }) });
  assert.equal(r.status, 200, `worker ${name} signs in`);
  const cookie = r.headers.get('set-cookie').split(';')[0];
  const { csrfToken } = await r.json();
  const call = async (p, body) => {
    const res = await fetch(base + p, { method: 'POST', headers: { Cookie: cookie, 'X-CSRF-Token': csrfToken, 'Content-Type': 'application/json' },
      body: JSON.stringify(body || {}) });
    return { status: res.status, body: res.status === 204 ? null : await res.json() };
  };
  return { cookie, csrfToken, call };
}

// Labels `count` tasks of the seed job as `name`, `pauseMs` apart.
async function label(session, name, count, pauseMs) {
  const lines = fs.readFileSync(path.join(SEED, 'dataset.manifest'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).source);
  for (let i = 0; i < count; i++) {
    const claim = await session.call(`/worker/api/jobs/${JOB}/claim`);
    if (claim.status === 204) return;
    assert.equal(claim.status, 200);
    const line = lines.indexOf(claim.body.taskInput.taskObject);
    const answer = { 'crowd-classifier': { label: ANSWERS[name][line] } };
    const sub = await session.call(`/worker/api/tasks/${claim.body.taskId}/submit`, { answer, timeSpentInSeconds: 2 + line });
    assert.equal(sub.status, 200);
    await new Promise((r) => setTimeout(r, pauseMs));
  }
}

before(async () => {
  if (skipReason) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-console-'));
  const bucket = path.join(dir, 'buckets', BUCKET);
  fs.mkdirSync(bucket, { recursive: true });
  for (const f of ['dataset.manifest', 'categories.json', 'worker_gui.html']) fs.copyFileSync(path.join(SEED, f), path.join(bucket, f));
  fs.writeFileSync(path.join(bucket, 'hostile.json'), JSON.stringify({ 'document-version': '2018-11-28',
    labels: [{ label: XSS_LABEL }, { label: 'fine' }] }));
  fs.writeFileSync(path.join(bucket, 'hostile.manifest'), `${JSON.stringify({ source: XSS_OBJECT })}\n${JSON.stringify({ source: 'plain' })}\n`);
  const s = await startServer();
  server = s.proc;
  base = s.url;
  addUser(ADMIN, ['--admin']);
  for (const w of WORKERS) addUser(w, ['--groups', 'labelers']);
  globalThis.teamArn = aws('sagemaker', 'create-workteam', '--workteam-name', 'seed-team', '--description', 'Seed team',
    '--member-definitions', '[{"OidcMemberDefinition":{"Groups":["labelers"]}}]').WorkteamArn;
  createJob(HOSTILE_JOB, 'hostile.manifest', 'hostile.json', 1);
  createJob(JOB, 'dataset.manifest', 'categories.json', 2);
  await waitStatus(JOB, ['InProgress']);
  await waitStatus(HOSTILE_JOB, ['InProgress']);
  browser = await launch();
  page = await browser.context.newPage();
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    const url = (m.location() && m.location().url) || '';
    // Refused sign-ins are expected 401/403 answers.
    if (m.type() === 'error' && !url.endsWith('/api/login')) errors.push(`console: ${m.text()} @ ${url}`);
  });
  page.on('dialog', async (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    await d.accept(d.type() === 'prompt' ? d.defaultValue() : undefined);
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server) { server.removeAllListeners('exit'); server.kill('SIGTERM'); }
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const shot = (name) => page.screenshot({ path: path.join(SCREENSHOTS, name), fullPage: true });

async function signIn(user) {
  await page.goto(`${base}/console/`);
  await page.fill('#username', user);
  await page.fill('#password', PASSWORD);
  await page.click('#submit');
}

test('console: a worker is refused, API and pages answer 403', { skip: skipReason || false }, async () => {
  const worker = await workerSession('ann');
  for (const p of ['/console/', `/console/jobs/${JOB}`, `/console/jobs/${JOB}/tool`]) {
    const r = await fetch(base + p, { headers: { Cookie: worker.cookie } });
    assert.equal(r.status, 403, p);
    assert.match(r.headers.get('content-security-policy'), /default-src 'self'/);
    assert.equal(r.headers.get('x-frame-options'), 'DENY');
  }
  for (const p of ['/console/api/jobs', `/console/api/jobs/${JOB}`, `/console/api/jobs/${JOB}/stats`]) {
    const r = await fetch(base + p, { headers: { Cookie: worker.cookie } });
    assert.equal(r.status, 403, p);
    assert.equal((await r.json()).error, 'NotAdmin');
  }
  const stop = await fetch(`${base}/console/api/jobs/${JOB}/stop`, { method: 'POST', headers: { Cookie: worker.cookie, 'X-CSRF-Token': worker.csrfToken } });
  assert.equal(stop.status, 403);

  // Through the sign-in page: a clear refusal, and no session.
  await signIn('ann');
  await page.waitForSelector('#error:not([hidden])');
  assert.match(await page.textContent('#error'), /only for admins/);
  await page.setViewportSize({ width: 390, height: 844 });
  await shot('console-signin-refused-phone.png');
  await page.setViewportSize({ width: 1280, height: 800 });
  assert.equal((await browser.context.cookies(base)).filter((c) => c.name === 'plb_session').length, 0);
});

test('console: the job list shows progress moving live while workers label', { skip: skipReason || false }, async () => {
  await signIn(ADMIN);
  const t0 = Date.now();
  await page.waitForSelector(`tr[data-job="${JOB}"]`);
  console.log(`job list: first rows ${Date.now() - t0} ms after the sign-in click (an Argon2id sign-in)`);
  // First paint of the list for a signed-in admin: navigation to rows.
  const t1 = Date.now();
  await page.goto(`${base}/console/`);
  await page.waitForSelector(`tr[data-job="${JOB}"]`);
  console.log(`job list: rows ${Date.now() - t1} ms after navigation`);
  const names = await page.$$eval('#jobs tbody tr', (rows) => rows.map((r) => r.dataset.job));
  assert.deepEqual(names, [JOB, HOSTILE_JOB]);  // newest first
  const caption = () => page.textContent(`tr[data-job="${JOB}"] .bar-caption`);
  assert.match(await caption(), /^0 \/ 7 labeled/);
  await page.evaluate(() => { window.__sameDocument = true; });
  await shot('console-jobs-before.png');

  // The crowd labels: ann everything, bob a bit slower.
  const [ann, bob] = await Promise.all(WORKERS.map(workerSession));
  const labeling = Promise.all([label(ann, 'ann', 7, 150), label(bob, 'bob', 7, 250)]);
  // The list moves without a reload: first work in progress, then labels.
  await page.waitForFunction((job) => /in progress/.test(document.querySelector(`tr[data-job="${job}"] .bar-caption`).textContent), JOB, { timeout: 15000 });
  await shot('console-jobs-progress.png');
  await labeling;
  await page.waitForFunction((job) => /^7 \/ 7 labeled/.test(document.querySelector(`tr[data-job="${job}"] .bar-caption`).textContent), JOB, { timeout: 20000 });
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no reload');
  const width = await page.$eval(`tr[data-job="${JOB}"] .bar .labeled`, (e) => e.style.width);
  assert.equal(width, '100%');
  await page.waitForFunction((job) => document.querySelector(`tr[data-job="${job}"] .status`).textContent === 'Completed', JOB, { timeout: 20000 });
  await shot('console-jobs-done.png');

  // Sorting and filtering.
  await page.click('th[data-sort="name"] button');
  await page.waitForFunction((want) => [...document.querySelectorAll('#jobs tbody tr')].map((r) => r.dataset.job).join() === want, `${JOB},${HOSTILE_JOB}`);
  await page.click('th[data-sort="name"] button');
  await page.waitForFunction((want) => [...document.querySelectorAll('#jobs tbody tr')].map((r) => r.dataset.job).join() === want, `${HOSTILE_JOB},${JOB}`);
  await page.fill('input[type=search]', 'hostile');
  await page.waitForFunction(() => document.querySelectorAll('#jobs tbody tr').length === 1);
  await page.fill('input[type=search]', '');
  await page.waitForFunction(() => document.querySelectorAll('#jobs tbody tr').length === 2);
  await page.setViewportSize({ width: 390, height: 844 });
  await shot('console-jobs-phone.png');
  await page.setViewportSize({ width: 1280, height: 800 });
});

test('console: the job page has the plot, distribution, workers and objects', { skip: skipReason || false }, async () => {
  const t0 = Date.now();
  await page.goto(`${base}/console/jobs/${JOB}`);
  await page.waitForSelector('#counters .counter');
  console.log(`job page: counters ${Date.now() - t0} ms after navigation`);
  await page.waitForSelector('#progress-chart svg path.line-answers');
  const counters = await page.$$eval('#counters .counter', (cs) => cs.map((c) => c.textContent));
  assert.deepEqual(counters, ['7Objects', '7Labeled', '0Failed', '0In progress', '0Left']);
  const label = await page.getAttribute('#progress-chart svg', 'aria-label');
  assert.match(label, /^14 answers and 7 finished objects/);
  const rows = await page.$$eval('#workers tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  assert.equal(rows.length, 2);
  assert.deepEqual(rows.map((r) => r[0]).sort(), WORKERS);
  for (const r of rows) assert.equal(r[1], '7');
  const bars = await page.getAttribute('#labels svg', 'aria-label');
  assert.match(bars, /person: 3/);
  assert.match(await page.textContent('#config'), /console-seed-job|seed-team/);
  await shot('console-job.png');

  // Objects where the workers disagree: lines 1 and 4.
  await page.selectOption('#object-filter', 'disagreement');
  await page.waitForFunction(() => document.querySelectorAll('#objects .object').length === 2);
  const idx = await page.$$eval('#objects .object', (os) => os.map((o) => o.dataset.index));
  assert.deepEqual(idx, ['1', '4']);
  await page.setViewportSize({ width: 390, height: 844 });
  await shot('console-job-phone.png');
  await page.setViewportSize({ width: 1280, height: 800 });

  // The output manifest of the finished job.
  const href = await page.getAttribute('#output', 'href');
  const cookies = await browser.context.cookies(base);
  const r = await fetch(base + href, { headers: { Cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; ') } });
  assert.equal(r.status, 200);
  assert.equal((await r.text()).trim().split('\n').length, 7);
});

test('console: View labeling tool shows the seed template and the answer as JSON', { skip: skipReason || false }, async () => {
  await page.goto(`${base}/console/jobs/${JOB}`);
  await page.click('#tool');
  await page.waitForURL(/\/tool/);
  const frame = page.frameLocator('iframe.task');
  const sentence = JSON.parse(fs.readFileSync(path.join(SEED, 'dataset.manifest'), 'utf8').split('\n')[0]).source;
  await frame.locator('classification-target').waitFor();
  assert.equal((await frame.locator('classification-target').textContent()).trim(), sentence);
  // The seed's own larger Submit button (60 px high), injected by its script.
  const button = frame.locator('crowd-classifier .category-picker-wrapper button.awsui-button-variant-primary');
  await button.waitFor();
  assert.equal((await button.boundingBox()).height, 60);
  assert.equal(await page.getAttribute('iframe.task', 'sandbox'), 'allow-scripts');
  await frame.locator('crowd-classifier').getByRole('radio', { name: 'animal' }).click();
  await button.click();
  await page.waitForFunction(() => document.querySelector('#answer').textContent.includes('animal'));
  const answer = JSON.parse(await page.textContent('#answer'));
  assert.deepEqual(answer, { 'crowd-classifier': { label: 'animal' } });
  await shot('console-tool.png');
  // A pasted line.
  await page.fill('#line', JSON.stringify({ source: 'A pasted sentence about a fern.' }));
  await page.click('#render-line');
  await page.waitForFunction(() => document.querySelector('#showing').textContent.startsWith('The pasted line'));
  await frame.locator('classification-target', { hasText: 'A pasted sentence about a fern.' }).waitFor();
  await page.setViewportSize({ width: 390, height: 844 });
  await shot('console-tool-phone.png');
  await page.setViewportSize({ width: 1280, height: 800 });
});

test('console: the wizard creates the seed job from its three files; Clone copies it', { skip: skipReason || false }, async () => {
  const WIZ = 'wizard-seed-job';
  await page.goto(`${base}/console/`);
  await page.click('#new-job');
  await page.waitForURL(/\/console\/new/);
  await page.waitForSelector('#task-type option[value="TextMultiClass"]', { state: 'attached' });
  await page.waitForSelector('#team option', { state: 'attached' });
  await page.fill('#job-name', WIZ);
  await page.selectOption('#task-type', 'TextMultiClass');
  await page.setInputFiles('#manifest-file', path.join(SEED, 'dataset.manifest'));
  await page.waitForFunction(() => document.querySelector('#first-line').value.includes('source'));
  while (await page.locator('.label-row button').count()) await page.locator('.label-row button').first().click();
  const categories = JSON.parse(fs.readFileSync(path.join(SEED, 'categories.json'), 'utf8')).labels.map((l) => l.label);
  for (const c of categories) {
    await page.fill('#new-label', c);
    await page.press('#new-label', 'Enter');
  }
  await page.fill('#label-attribute', 'aws-blog-demo');
  // A template still being typed: the preview says what is wrong, and no request fails.
  await page.fill('#template', '<p>{% if task.input %}</p>');
  await page.waitForFunction(() => /^Template: .*line 1/.test(document.querySelector('#preview-note').textContent));
  await page.fill('#template', fs.readFileSync(path.join(SEED, 'worker_gui.html'), 'utf8'));
  const first = JSON.parse(fs.readFileSync(path.join(SEED, 'dataset.manifest'), 'utf8').split('\n')[0]).source;
  // The live preview: the seed's template with the manifest's first sentence.
  const frame = page.frameLocator('#preview-stage iframe.task');
  await frame.locator('classification-target', { hasText: first }).waitFor({ timeout: 10000 });
  await frame.locator('crowd-classifier .category-picker-wrapper button.awsui-button-variant-primary').waitFor();
  const command = await page.textContent('#cli-command');
  assert.match(command, /aws sagemaker create-labeling-job --endpoint-url/);
  assert.match(command, new RegExp(`--labeling-job-name '${WIZ}'`));
  assert.match(command, /PRE-TextMultiClass/);
  assert.equal(await page.locator('#problems li').count(), 0, await page.textContent('#problems'));
  await shot('console-wizard.png');
  await page.click('#create');
  await page.waitForURL(new RegExp(`/console/jobs/${WIZ}$`));
  const d = await waitStatus(WIZ, ['InProgress']);
  assert.equal(d.LabelCounters.Unlabeled, 7);
  assert.equal(d.HumanTaskConfig.NumberOfHumanWorkersPerDataObject, 1);
  await page.goto(`${base}/console/`);
  await page.waitForSelector(`tr[data-job="${WIZ}"]`);

  // Clone: the same configuration under a new name.
  await page.goto(`${base}/console/jobs/${WIZ}`);
  await page.waitForSelector('#counters .counter');
  await page.click('#clone');
  await page.waitForURL(new RegExp(`/console/jobs/${WIZ}-clone$`));
  const c = await waitStatus(`${WIZ}-clone`, ['InProgress']);
  assert.equal(c.HumanTaskConfig.UiConfig.UiTemplateS3Uri, d.HumanTaskConfig.UiConfig.UiTemplateS3Uri);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${base}/console/new?from=${WIZ}`);
  await page.waitForFunction(() => document.querySelector('#job-name').value.endsWith('-copy'));
  await shot('console-wizard-phone.png');
  await page.setViewportSize({ width: 1280, height: 800 });
});

// The aws CLI signing with another key: {ok, out}.
function awsAs(key, secret, ...args) {
  try {
    const out = execFileSync(AWS, ['--endpoint-url', base, '--region', 'us-west-2', '--output', 'json', ...args], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: key, AWS_SECRET_ACCESS_KEY: secret, AWS_DEFAULT_REGION: 'us-west-2',
        AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: os.devnull, AWS_SHARED_CREDENTIALS_FILE: os.devnull, AWS_PAGER: '' },
      encoding: 'utf8', timeout: 30000, stdio: ['ignore', 'pipe', 'pipe'] });
    return { ok: true, out };
  } catch (e) {
    return { ok: false, out: `${e.stdout}${e.stderr}` };
  }
}

test('console: people and keys: a new worker signs in to the portal; a revoked key is refused', { skip: skipReason || false }, async () => {
  await page.goto(`${base}/console/`);
  await page.click('#nav-people');
  await page.waitForURL(/\/console\/people/);
  await page.waitForSelector(`#users tr[data-user="${ADMIN}"]`);
  await page.fill('#new-username', 'carl');
  await page.fill('#new-password', PASSWORD);
  await page.fill('#new-groups', 'labelers');
  await page.click('#add-user');
  await page.waitForSelector('#users tr[data-user="carl"]');
  // carl signs in to the worker portal and sees the seed team's jobs.
  const carl = await workerSession('carl');
  const jobs = await fetch(`${base}/worker/api/jobs`, { headers: { Cookie: carl.cookie } }).then((r) => r.json());
  assert.ok(jobs.jobs.length >= 1);

  // An access key for the admin: the secret is shown once, and it works...
  await page.click(`#users tr[data-user="${ADMIN}"] button[data-action="new-key"]`);
  await page.waitForFunction(() => /secret/.test(document.querySelector('.note').textContent));
  const [, id, secret] = /(AKIA[A-Z0-9]{16}) \/ secret (\S+) /.exec(await page.textContent('.note'));
  assert.ok(awsAs(id, secret, 'sagemaker', 'list-labeling-jobs').ok);
  await shot('console-people.png');
  // ... until it is revoked here.
  await page.click(`#keys tr[data-key="${id}"] button[data-action="revoke"]`);
  await page.waitForFunction((k) => document.querySelector(`#keys tr[data-key="${k}"]`).textContent.includes('revoked'), id);
  const refused = awsAs(id, secret, 'sagemaker', 'list-labeling-jobs');
  assert.equal(refused.ok, false);
  assert.match(refused.out, /UnrecognizedClient|InvalidClientTokenId|security token/i);
  await page.fill('#audit-search', 'revoke');
  await page.waitForFunction((k) => {
    const rows = [...document.querySelectorAll('#audit tbody tr')];
    return rows.length > 0 && rows.every((r) => /revoke/i.test(r.textContent)) && rows.some((r) => r.textContent.includes(k));
  }, id);
  await page.setViewportSize({ width: 390, height: 844 });
  await shot('console-people-phone.png');
  await page.setViewportSize({ width: 1280, height: 800 });
});

test('console: hostile strings are shown as text; Stop stops a job', { skip: skipReason || false }, async () => {
  await page.goto(`${base}/console/jobs/${HOSTILE_JOB}`);
  await page.waitForSelector('#objects .object');
  assert.match(await page.textContent('#config'), /onerror/);
  const first = await page.textContent('#objects .object[data-index="0"] .source');
  assert.equal(first, XSS_OBJECT);
  await page.goto(`${base}/console/jobs/${HOSTILE_JOB}/tool`);
  await page.frameLocator('iframe.task').locator('classification-target').waitFor();
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  await page.goto(`${base}/console/jobs/${HOSTILE_JOB}`);
  await page.waitForSelector('#stop:not([hidden])');
  await page.click('#stop');
  await page.waitForFunction(() => ['Stopping', 'Stopped'].includes(document.querySelector('.page-head .status').textContent), null, { timeout: 10000 });
  await waitStatus(HOSTILE_JOB, ['Stopped']);
  await page.waitForFunction(() => document.querySelector('.page-head .status').textContent === 'Stopped', null, { timeout: 10000 });
  assert.ok(dialogs.some((d) => d.startsWith('confirm')), 'Stop asks first');
  assert.ok(!dialogs.some((d) => d.startsWith('alert')), `no alert: ${dialogs}`);
  await shot('console-job-stopped.png');
  assert.deepEqual(errors, []);
});
