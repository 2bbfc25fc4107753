// The built-in NER worker UI in the portal: a NamedEntityRecognition job with
// HumanTaskUiArn (no template of its own) made with Debian's aws CLI, labeled
// in the portal's sandboxed frame with the mouse and keys, and its output
// manifest in Ground Truth's NER shape. Needs build/plumbline (or
// PLUMBLINE_BINARY) and /usr/bin/aws.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launch, REPO, SCREENSHOTS, AWS_CLI, awsCli, waitJobStatus, startPlumbline, inTaskFrame, taskFrameWith } from './lib.mjs';

const BINARY = path.resolve(REPO, process.env.PLUMBLINE_BINARY || 'build/plumbline');
const AWS = AWS_CLI;
const KEY = 'AKIAPLUMBLINENER0001';
const SECRET = 'portal-ner-secret-key-0123456789abcdefghij';
const BUCKET = 'ner-bucket';
const JOB = 'portal-ner-job';
const TEXTS = ['Grace Hopper visited Tokyo 🗼 in 1985.', 'نزل يوسف في القاهرة مع Ada.'];
const WANT = [[['Grace Hopper', 'person'], ['Tokyo', 'place']], [['يوسف', 'person'], ['القاهرة', 'place']]];
const skipReason = !fs.existsSync(BINARY) ? `no server binary at ${BINARY}` : !fs.existsSync(AWS) ? `no aws CLI at ${AWS}` : null;

let dir, server, base, browser, page;
const errors = [];

const aws = (...args) => awsCli(base, KEY, SECRET, ...args);

const waitStatus = (statuses, timeoutMs) => waitJobStatus(aws, JOB, statuses, timeoutMs);

const startServer = () => startPlumbline(BINARY, dir, KEY, SECRET);

before(async () => {
  if (skipReason) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-portal-ner-'));
  const bucket = path.join(dir, 'buckets', BUCKET);
  fs.mkdirSync(bucket, { recursive: true });
  fs.writeFileSync(path.join(bucket, 'ner.manifest'), TEXTS.map((t) => JSON.stringify({ source: t })).join('\n') + '\n');
  fs.writeFileSync(path.join(bucket, 'ner.json'), JSON.stringify({ 'document-version': '2018-11-28',
    labels: [{ label: 'person', shortDisplayName: 'per' }, { label: 'place', shortDisplayName: 'plc' }],
    instructions: { shortInstruction: '<p>Tag <b>people</b> and places.</p>', fullInstruction: '<ol><li>Whole names only.</li></ol>' } }));
  const s = await startServer();
  server = s.proc;
  base = s.url;
  execFileSync(BINARY, ['users', 'add', '--data-dir', dir, '--username', 'nora', '--password-stdin', '--groups', 'labelers'],
    { input: 'nora-long-password\n', stdio: ['pipe', 'ignore', 'inherit'] });
  const team = aws('sagemaker', 'create-workteam', '--workteam-name', 'ner-team', '--description', 'NER team',
    '--member-definitions', '[{"OidcMemberDefinition":{"Groups":["labelers"]}}]');
  aws('sagemaker', 'create-labeling-job', '--labeling-job-name', JOB, '--label-attribute-name', 'ner',
    '--label-category-config-s3-uri', `s3://${BUCKET}/ner.json`,
    '--role-arn', 'arn:aws:iam::123456789012:role/GroundTruthExecutionRole',
    '--input-config', JSON.stringify({ DataSource: { S3DataSource: { ManifestS3Uri: `s3://${BUCKET}/ner.manifest` } } }),
    '--output-config', JSON.stringify({ S3OutputPath: `s3://${BUCKET}/output` }),
    '--human-task-config', JSON.stringify({
      AnnotationConsolidationConfig: { AnnotationConsolidationLambdaArn: 'arn:aws:lambda:us-west-2:081040173940:function:ACS-NamedEntityRecognition' },
      PreHumanTaskLambdaArn: 'arn:aws:lambda:us-west-2:081040173940:function:PRE-NamedEntityRecognition',
      TaskTimeLimitInSeconds: 600, NumberOfHumanWorkersPerDataObject: 1, WorkteamArn: team.WorkteamArn,
      TaskDescription: 'Tag people and places', TaskTitle: 'Named entities',
      UiConfig: { HumanTaskUiArn: 'arn:aws:sagemaker:us-west-2:394669845002:human-task-ui/NamedEntityRecognition' },
    }));
  await waitStatus(['InProgress']);
  browser = await launch();
  page = await browser.context.newPage();
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()} @ ${m.location().url}`); });
});

after(async () => {
  if (browser) await browser.close();
  if (server) { server.removeAllListeners('exit'); server.kill('SIGTERM'); }
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

// Drags over `needle` in the frame's entity annotation, in page coordinates.
async function drag(frame, needle) {
  const box = await page.locator('.stage iframe.task').boundingBox();
  const r = await inTaskFrame(page, (n) => {
    const el = document.querySelector('crowd-entity-annotation');
    const seg = [...el.shadowRoot.querySelectorAll('.seg')].find((s) => s.textContent.includes(n));
    const i = seg.textContent.indexOf(n);
    const range = (a, b) => { const x = document.createRange(); x.setStart(seg.firstChild, a); x.setEnd(seg.firstChild, b); return x.getBoundingClientRect(); };
    const first = range(i, i + 1);
    const last = range(i + n.length - 1, i + n.length);
    const rtl = getComputedStyle(el.shadowRoot.querySelector('.ner-text')).direction === 'rtl';
    const y = (first.top + first.bottom) / 2;
    return rtl ? { x0: first.right - 1, x1: last.left + 1, y } : { x0: first.left + 1, x1: last.right - 1, y };
  }, needle);
  await page.mouse.move(box.x + r.x0, box.y + r.y);
  await page.mouse.down();
  await page.mouse.move(box.x + (r.x0 + r.x1) / 2, box.y + r.y, { steps: 4 });
  await page.mouse.move(box.x + r.x1, box.y + r.y, { steps: 4 });
  await page.mouse.up();
}

test('hosted NER UI: a worker labels both texts in the portal; the output has the entities', { skip: skipReason || false, timeout: 180_000 }, async () => {
  await page.goto(base + '/worker/');
  await page.locator('#username').waitFor();
  await page.fill('#username', 'nora');
  await page.fill('#password', 'nora-long-password');
  await page.keyboard.press('Enter');
  await page.locator(`li.job[data-job="${JOB}"]`).waitFor();
  await page.keyboard.press('1'); // starts job number 1
  await page.waitForURL(`**/worker/jobs/${JOB}`);
  const seen = [];
  for (let n = 0; n < 2; n++) {
    await page.waitForFunction((k) => document.getElementById('done').textContent === String(k), n, { timeout: 5000 });
    const frame = await taskFrameWith(page, 'crowd-entity-annotation .ner-text .seg');
    const text = await inTaskFrame(page, () => document.querySelector('crowd-entity-annotation').text);
    const idx = TEXTS.indexOf(text);
    assert.ok(idx >= 0 && !seen.includes(idx), `a new manifest text: ${text}`);
    seen.push(idx);
    // The label file's display names and instructions are in the built-in UI.
    assert.match(await frame.locator('crowd-entity-annotation .label-list').textContent(), /person.*per.*place.*plc/);
    assert.equal(await frame.locator('short-instructions b').textContent(), 'people');
    for (const [needle, label] of WANT[idx]) {
      await drag(frame, needle);
      await page.keyboard.press(label === 'person' ? '1' : '2');
    }
    await page.screenshot({ path: path.join(SCREENSHOTS, `portal-ner-${n}.png`) });
    await frame.locator('crowd-entity-annotation .submit').click();
  }
  await page.locator('#notice-title', { hasText: 'All done' }).waitFor();
  await waitStatus(['Completed']);
  const out = fs.readFileSync(path.join(dir, 'buckets', BUCKET, 'output', JOB, 'manifests', 'output', 'output.manifest'), 'utf8')
    .split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert.equal(out.length, 2);
  out.forEach((line, i) => {
    const cps = Array.from(line.source);
    const got = line.ner.annotations.entities.map((e) => [cps.slice(e.startOffset, e.endOffset).join(''), e.label]);
    assert.deepEqual(got, WANT[i]);
    assert.deepEqual(line.ner.annotations.labels, [{ label: 'person', shortDisplayName: 'per' }, { label: 'place', shortDisplayName: 'plc' }]);
    assert.equal(line['ner-metadata'].type, 'groundtruth/text-span');
    assert.deepEqual(line['ner-metadata'].entities, [{ confidence: 0 }, { confidence: 0 }]);
  });
  assert.deepEqual(errors, []);
});
