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
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launch, REPO, SHARED, SCREENSHOTS, AWS_CLI, awsCli, waitJobStatus, startPlumbline } from './lib.mjs';

const BINARY = path.resolve(REPO, process.env.PLUMBLINE_BINARY || 'build/plumbline');
const AWS = AWS_CLI;
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

const BENCH = path.resolve(REPO, process.env.CONSOLE_BENCH || 'build/bench/console/console_bench');
const skipReason = !fs.existsSync(BINARY) ? `no server binary at ${BINARY}` : !fs.existsSync(AWS) ? `no aws CLI at ${AWS}` : null;

let dir, server, base, browser, page;
const errors = [];
const dialogs = [];

const aws = (...args) => awsCli(base, KEY, SECRET, ...args);

const waitStatus = (job, statuses, timeoutMs) => waitJobStatus(aws, job, statuses, timeoutMs);

const startServer = (dataDir = dir) => startPlumbline(BINARY, dataDir, KEY, SECRET);

function addUser(name, extra = []) {
  execFileSync(BINARY, ['users', 'add', '--data-dir', dir, '--username', name, '--password-stdin', ...extra],
    { input: `${PASSWORD}\n`, stdio: ['pipe', 'ignore', 'inherit'] });
}

function createJob(name, manifest, categories, workers, kmsKeyId) {
  aws('sagemaker', 'create-labeling-job', '--labeling-job-name', name, '--label-attribute-name', 'aws-blog-demo',
    '--label-category-config-s3-uri', `s3://${BUCKET}/${categories}`,
    '--role-arn', 'arn:aws:iam::123456789012:role/GroundTruthExecutionRole',
    '--input-config', JSON.stringify({ DataSource: { S3DataSource: { ManifestS3Uri: `s3://${BUCKET}/${manifest}` } } }),
    '--output-config', JSON.stringify({ S3OutputPath: `s3://${BUCKET}/output`, ...(kmsKeyId ? { KmsKeyId: kmsKeyId } : {}) }),
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

test('console: an admin invites a worker by a one-time link; it works once', { skip: skipReason || false }, async () => {
  await page.goto(`${base}/console/people`);
  await page.waitForSelector(`#users tr[data-user="${ADMIN}"]`);
  await page.fill('#invite-username', 'dora');
  await page.fill('#invite-groups', 'labelers');
  await page.click('#invite');
  await page.waitForSelector('#invite-url');
  const link = await page.inputValue('#invite-url');
  assert.match(link, new RegExp(`^${base}/worker/invite#[0-9a-f]{64}$`));
  await page.waitForSelector('#invitations tr[data-invitation="dora"]');
  assert.match(await page.textContent('#invitations tr[data-invitation="dora"]'), /pending/);
  await shot('console-people-invite.png');
  await page.setViewportSize({ width: 390, height: 844 });
  await shot('console-people-invite-phone.png');
  await page.setViewportSize({ width: 1280, height: 800 });
  // The token is nowhere but in the link: not in the list, not in the audit log.
  const token = link.split('#')[1];
  const cookies = await browser.context.cookies(base);
  const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  for (const p of ['/console/api/invitations', '/console/api/audit?q=dora']) {
    const body = await fetch(base + p, { headers: { Cookie: cookie } }).then((r) => r.text());
    assert.ok(!body.includes(token), p);
  }

  // The invitee, in a browser of their own: sets a password and lands signed in.
  const other = await launch();
  try {
    const p2 = await other.context.newPage();
    const errors2 = [];
    p2.on('pageerror', (e) => errors2.push(e.message));
    await p2.goto(link);
    await p2.waitForSelector('#accept:not([hidden])');
    assert.equal(await p2.textContent('#title'), 'Welcome, dora');
    assert.equal(await p2.inputValue('#username'), 'dora');
    await p2.setViewportSize({ width: 390, height: 844 });
    await p2.screenshot({ path: path.join(SCREENSHOTS, 'portal-invite-phone.png'), fullPage: true });
    await p2.setViewportSize({ width: 1280, height: 800 });
    await p2.screenshot({ path: path.join(SCREENSHOTS, 'portal-invite.png'), fullPage: true });
    await p2.fill('#password', 'dora-password');
    await p2.fill('#again', 'dora-passw0rd');
    await p2.click('#submit');
    await p2.waitForSelector('#error:not([hidden])');
    assert.match(await p2.textContent('#error'), /differ/);
    await p2.fill('#again', 'dora-password');
    await p2.click('#submit');
    await p2.waitForURL(`${base}/worker/`);
    await p2.waitForSelector('li.job[data-job]');
    assert.ok((await p2.locator('li.job[data-job]').count()) >= 1, 'dora sees the team\'s jobs');
    await p2.screenshot({ path: path.join(SCREENSHOTS, 'portal-invite-accepted.png'), fullPage: true });
    // The same link a second time: refused, saying so; and a forged one.
    await p2.goto(link);
    await p2.waitForSelector('.signin-card.refused');
    assert.equal(await p2.textContent('#title'), 'This invitation link cannot be used');
    assert.match(await p2.textContent('#lead'), /already used/);
    assert.equal(await p2.isHidden('#accept'), true);
    await p2.screenshot({ path: path.join(SCREENSHOTS, 'portal-invite-used.png'), fullPage: true });
    await p2.setViewportSize({ width: 390, height: 844 });
    await p2.screenshot({ path: path.join(SCREENSHOTS, 'portal-invite-used-phone.png'), fullPage: true });
    await p2.goto(`${base}/worker/invite#${'0'.repeat(64)}`);
    await p2.waitForSelector('.signin-card.refused');
    assert.match(await p2.textContent('#lead'), /not valid/);
    assert.deepEqual(errors2, []);
  } finally {
    await other.close();
  }
  // dora signs in with the password she chose.
  const r = await fetch(`${base}/worker/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'dora', password: 'dora-password' }) });
  assert.equal(r.status, 200);
  await page.reload();
  // (The rows come from a fetch after the reload: none may be there yet.)
  await page.waitForFunction(() => /accepted/.test(document.querySelector('#invitations tr[data-invitation="dora"]')?.textContent ?? ''));
});

let outputKey;
test('console: KMS keys: create, read the policy, disable, schedule and cancel deletion', { skip: skipReason || false }, async () => {
  await page.goto(`${base}/console/`);
  await page.click('#nav-keys');
  await page.waitForURL(/\/console\/keys/);
  await page.waitForSelector('#keys tbody tr');
  await page.fill('#key-alias', 'job-outputs');
  await page.fill('#key-description', 'Outputs of <i>labeling</i> jobs');
  await page.fill('#key-users', ADMIN);
  await page.click('#create-key');
  await page.waitForFunction(() => [...document.querySelectorAll('#keys tbody tr')].some((r) => r.textContent.includes('alias/job-outputs')));
  const row = page.locator('#keys tbody tr', { hasText: 'alias/job-outputs' });
  outputKey = await row.getAttribute('data-key');
  assert.match(outputKey, /^[0-9a-f-]{36}$/);
  assert.match(await row.textContent(), /Outputs of <i>labeling<\/i> jobs/);  // as text
  assert.match(await row.locator('.status').textContent(), /^Enabled$/);
  // Its policy names the admin for the key's data.
  await row.locator('button[data-action="policy"]').click();
  await page.waitForSelector('#key-policy');
  const policy = JSON.parse(await page.inputValue('#key-policy'));
  assert.ok(JSON.stringify(policy).includes(`:user/${ADMIN}`));
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot('console-keys.png');
  await page.setViewportSize({ width: 390, height: 844 });
  await shot('console-keys-phone.png');
  await page.setViewportSize({ width: 1280, height: 800 });
  const state = () => page.locator(`#keys tr[data-key="${outputKey}"] .status`).textContent();
  const act = async (action, want) => {
    await page.click(`#keys tr[data-key="${outputKey}"] button[data-action="${action}"]`);
    await page.waitForFunction(([k, w]) => document.querySelector(`#keys tr[data-key="${k}"] .status`).textContent === w, [outputKey, want]);
  };
  await act('disable', 'Disabled');
  await act('enable', 'Enabled');
  await act('schedule-deletion', 'PendingDeletion');  // the prompt's 30 days
  assert.match(await page.textContent(`#keys tr[data-key="${outputKey}"]`), /deleted on/);
  await shot('console-keys-pending.png');
  await act('cancel-deletion', 'Disabled');
  await act('enable', 'Enabled');
  assert.equal(await state(), 'Enabled');
  // The key's uses are audited as KMS calls by the admin.
  await page.goto(`${base}/console/people`);
  await page.fill('#audit-search', 'kms:ScheduleKeyDeletion');
  await page.waitForFunction(() => [...document.querySelectorAll('#audit tbody tr')].some((r) => r.textContent.includes('boss')));
});

test('console: an encrypted output downloads decrypted where the key policy allows, else says why', { skip: skipReason || false }, async () => {
  assert.ok(outputKey, 'the KMS test made the key');
  const locked = aws('kms', 'create-key', '--description', 'nobody may decrypt in the console').KeyMetadata.KeyId;
  createJob('secret-job', 'dataset.manifest', 'categories.json', 1, outputKey);
  createJob('locked-job', 'dataset.manifest', 'categories.json', 1, locked);
  for (const job of ['secret-job', 'locked-job']) {
    await waitStatus(job, ['InProgress']);
    aws('sagemaker', 'stop-labeling-job', '--labeling-job-name', job);
    await waitStatus(job, ['Stopped']);
  }
  const sentence = JSON.parse(fs.readFileSync(path.join(SEED, 'dataset.manifest'), 'utf8').split('\n')[0]).source;
  await page.goto(`${base}/console/jobs/secret-job`);
  await page.waitForSelector('#output:not([hidden])');
  assert.equal(await page.textContent('#output'), 'Download output manifest (decrypted)');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#output')]);
  assert.equal(download.suggestedFilename(), 'secret-job.output.manifest');
  const text = fs.readFileSync(await download.path(), 'utf8');
  assert.equal(text.trim().split('\n').length, 7);
  assert.ok(text.includes(sentence));
  // What the bucket holds is not that.
  const stored = fs.readdirSync(path.join(dir, 'buckets', BUCKET, 'output', 'secret-job', 'manifests', 'output'));
  assert.ok(!fs.readFileSync(path.join(dir, 'buckets', BUCKET, 'output', 'secret-job', 'manifests', 'output', stored[0])).includes(sentence));

  await page.goto(`${base}/console/jobs/locked-job`);
  await page.waitForSelector('#output:not([hidden])');
  await page.click('#output');
  await page.waitForSelector('.error-box:not([hidden])');
  const why = await page.textContent('.error-box');
  assert.match(why, /key policy does not let you decrypt it/);
  assert.match(why, new RegExp(`user/${ADMIN} is not authorized to perform: kms:Decrypt`));
  await shot('console-output-refused.png');
  await page.setViewportSize({ width: 390, height: 844 });
  await shot('console-output-refused-phone.png');
  await page.setViewportSize({ width: 1280, height: 800 });
  // The browser logs the refused download's 403; that one is expected.
  const expected = errors.filter((e) => /403/.test(e) && /\/output/.test(e));
  assert.equal(expected.length, 1, errors.join('\n'));
  errors.splice(0, errors.length, ...errors.filter((e) => !expected.includes(e)));
  // Both downloads are in the audit log, with the key's use.
  const cookies = await browser.context.cookies(base);
  const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  const audit = await fetch(`${base}/console/api/audit?q=DownloadOutput`, { headers: { Cookie: cookie } }).then((r) => r.json());
  assert.deepEqual(audit.entries.filter((e) => /^(locked|secret)-job$/.test(e.target)).map((e) => [e.target, e.outcome]),
    [['locked-job', 'PermissionDenied'], ['secret-job', 'ok']]);
  const decrypts = await fetch(`${base}/console/api/audit?q=kms:Decrypt`, { headers: { Cookie: cookie } }).then((r) => r.json());
  assert.ok(decrypts.entries.some((e) => e.actor === ADMIN && e.outcome === 'ok'));
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

// The job list's first paint with 10,000 jobs: bench/console's store (kept
// with --dir) served by a second server, opened in a browser of its own (the
// session cookie is per host, not per port). Navigation to the first rows,
// three times; the goal is under a second on this machine.
test('console: the job list paints its first rows quickly with 10,000 jobs', { skip: skipReason || (!fs.existsSync(BENCH) && `no ${BENCH}`) || false }, async () => {
  const benchDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-console-10k-'));
  let bench, other;
  try {
    const t0 = Date.now();
    execFileSync(BENCH, ['--jobs', '10000', '--objects', '1000', '--answered', '100', '--dir', benchDir], { stdio: 'ignore', timeout: 600000 });
    console.log(`10,000-job store made by console_bench in ${Date.now() - t0} ms`);
    bench = await startServer(benchDir);
    other = await launch();
    const p = await other.context.newPage();
    await p.goto(`${bench.url}/console/`);
    await p.fill('#username', 'boss');
    await p.fill('#password', 'boss-password');
    await p.click('#submit');
    await p.waitForSelector('#jobs tbody tr[data-job]');
    const times = [];
    for (let i = 0; i < 3; i++) {
      const t = Date.now();
      await p.goto(`${bench.url}/console/`);
      await p.waitForSelector('#jobs tbody tr[data-job]');
      times.push(Date.now() - t);
    }
    const fcp = await p.evaluate(() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime);
    assert.equal(await p.locator('#jobs tbody tr[data-job]').count(), 25);
    assert.match(await p.textContent('plb-jobs'), /10,000/);
    times.sort((a, b) => a - b);
    console.log(`job list of 10,000 jobs: first rows ${times.join(', ')} ms after navigation (min ${times[0]}, median ${times[1]}; first contentful paint ${Math.round(fcp)} ms; goal < 1000)`);
    await p.screenshot({ path: path.join(SCREENSHOTS, 'console-jobs-10k.png') });
    // The goal is 1 s: the list's API reads one page of job summaries,
    // sorted and cut in SQL (0.27-0.41 s to the first rows on a quiet
    // machine). The bound leaves room for a loaded CI machine.
    assert.ok(times[0] < 1500, `first rows in ${times[0]} ms`);
  } finally {
    if (other) await other.close();
    if (bench) {
      // The server still writes (its runner) until it has exited.
      bench.proc.removeAllListeners('exit');
      const exited = new Promise((r) => bench.proc.once('exit', r));
      bench.proc.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(benchDir, { recursive: true, force: true });
  }
});
