// A drawing element in the worker portal: a BoundingBox job made with
// Debian's aws CLI whose template uses crowd-bounding-box on an image of the
// embedded store (a signed /worker/media link), labeled in the portal's
// sandboxed frame with real mouse events: two boxes drawn, one relabeled by
// key, submitted with the element's button; the worker response stored and the
// output line in Ground Truth's object-detection shape. Needs build/plumbline
// (or PLUMBLINE_BINARY) and /usr/bin/aws.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launch, REPO, SCREENSHOTS, AWS_CLI, awsCli, waitJobStatus, createBoxJob, inTaskFrame, taskFrame } from './lib.mjs';

const BINARY = path.resolve(REPO, process.env.PLUMBLINE_BINARY || 'build/plumbline');
const AWS = AWS_CLI;
const KEY = 'AKIAPLUMBLINEBOXES01';
const SECRET = 'portal-box-secret-key-0123456789abcdefghij';
const BUCKET = 'box-portal-bucket';
const JOB = 'portal-box-job';
const LABELS = ['car', 'person', 'bicycle'];
const skipReason = !fs.existsSync(BINARY) ? `no server binary at ${BINARY}` : !fs.existsSync(AWS) ? `no aws CLI at ${AWS}` : null;

let dir, server, base, browser, page;
const errors = [];

const aws = (...args) => awsCli(base, KEY, SECRET, ...args);

const waitStatus = (statuses, timeoutMs) => waitJobStatus(aws, JOB, statuses, timeoutMs);

before(async () => {
  if (skipReason) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-portal-boxes-'));
  ({ proc: server, url: base } = await createBoxJob({
    binary: BINARY, dataDir: dir, key: KEY, secret: SECRET, bucket: BUCKET, job: JOB,
    images: [['street.png', 800, 533]], labels: LABELS, header: 'Box every car, person and bicycle',
    instructions: 'Tight boxes.', user: 'bea', password: 'bea-long-password', description: 'Box the street',
  }));
  browser = await launch();
  page = await browser.context.newPage();
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // Offline: the crowd script tag's own URL may fail to load; Plumbline's bundle replaces it.
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()} @ ${m.location().url}`);
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server) { server.removeAllListeners('exit'); server.kill('SIGTERM'); }
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('crowd-bounding-box in the portal\'s sandboxed frame: boxes drawn with the mouse, submitted, stored and consolidated', { skip: skipReason || false, timeout: 180_000 }, async () => {
  await page.goto(base + '/worker/');
  await page.locator('#username').waitFor();
  await page.fill('#username', 'bea');
  await page.fill('#password', 'bea-long-password');
  await page.keyboard.press('Enter');
  await page.locator(`li.job[data-job="${JOB}"]`).waitFor();
  await page.keyboard.press('1');
  await page.waitForURL(`**/worker/jobs/${JOB}`);
  const iframe = page.locator('.stage iframe.task');
  await iframe.waitFor();
  assert.match(await iframe.getAttribute('sandbox'), /allow-scripts/);
  assert.doesNotMatch(await iframe.getAttribute('sandbox'), /allow-same-origin/, 'the template cannot reach the portal');
  const frame = await taskFrame(page);
  await frame.waitForFunction(() => { const el = document.querySelector('crowd-bounding-box'); return el && el._imgState === 'loaded' && el._stageSize; }, null, { timeout: 15000 });
  // The image comes through a signed media link.
  assert.match(await inTaskFrame(page, () => document.querySelector('crowd-bounding-box').getAttribute('src')), /\/worker\/media/);
  // Frame coordinates of image pixels, in page coordinates.
  const box = await iframe.boundingBox();
  const g = await inTaskFrame(page, () => {
    const el = document.querySelector('crowd-bounding-box');
    const r = el.shadowRoot.querySelector('canvas.upper-canvas').getBoundingClientRect();
    return { left: r.left, top: r.top, s: el._view.s, x: el._view.x, y: el._view.y };
  });
  const at = (x, y) => ({ x: box.x + g.left + g.x + x * g.s, y: box.y + g.top + g.y + y * g.s });
  const drag = async (a, b) => {
    await page.mouse.move(a.x, a.y);
    await page.mouse.down();
    await page.mouse.move(b.x, b.y, { steps: 8 });
    await page.mouse.up();
  };
  await drag(at(40, 300), at(260, 440));     // a car (label 1 at the start)
  await page.keyboard.press('Escape');
  await page.keyboard.press('2');            // person
  await drag(at(420, 120), at(480, 320));
  await page.screenshot({ path: path.join(SCREENSHOTS, 'portal-boxes.png') });
  // Once: a second try could submit the next task.
  await inTaskFrame(page, () => document.querySelector('crowd-bounding-box').shadowRoot.querySelector('[type="submit"]').click(), undefined, { tries: 1 });
  await page.locator('#notice-title', { hasText: 'All done' }).waitFor({ timeout: 15000 });
  await waitStatus(['Completed']);
  const tol = Math.ceil(1 / g.s) + 1;
  const near = (b, want) => ['left', 'top', 'width', 'height'].every((k) => Math.abs(b[k] - want[k]) <= tol);
  // The worker's answer as stored (Ground Truth's worker-response file).
  const responses = path.join(dir, 'buckets', BUCKET, 'output', JOB, 'annotations', 'worker-response', 'iteration-1', '0');
  const files = fs.readdirSync(responses);
  assert.equal(files.length, 1);
  const response = JSON.parse(fs.readFileSync(path.join(responses, files[0]), 'utf8'));
  const answer = response.answers[0].answerContent.boundingBox;
  assert.deepEqual(answer.inputImageProperties, { height: 533, width: 800 });
  assert.deepEqual(answer.boundingBoxes.map((b) => b.label), ['car', 'person']);
  assert.ok(near(answer.boundingBoxes[0], { left: 40, top: 300, width: 220, height: 140 }), JSON.stringify(answer.boundingBoxes[0]));
  assert.ok(near(answer.boundingBoxes[1], { left: 420, top: 120, width: 60, height: 200 }), JSON.stringify(answer.boundingBoxes[1]));
  // The output line: one worker's boxes, in Ground Truth's shape.
  const out = fs.readFileSync(path.join(dir, 'buckets', BUCKET, 'output', JOB, 'manifests', 'output', 'output.manifest'), 'utf8')
    .split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert.equal(out.length, 1);
  assert.deepEqual(out[0].bbox.image_size, [{ width: 800, height: 533, depth: 3 }]);
  const anns = [...out[0].bbox.annotations].sort((a, b) => a.class_id - b.class_id);
  assert.deepEqual(anns.map((a) => a.class_id), [0, 1]);
  assert.ok(near(anns[0], { left: 40, top: 300, width: 220, height: 140 }), JSON.stringify(anns[0]));
  assert.equal(out[0]['bbox-metadata'].type, 'groundtruth/object-detection');
  assert.deepEqual(out[0]['bbox-metadata']['class-map'], { 0: 'car', 1: 'person' });
  assert.deepEqual(errors, []);
});
