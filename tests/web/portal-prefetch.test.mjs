// The next task's image, fetched while the worker labels the current one: a
// BoundingBox job of two images made with Debian's aws CLI, labeled in the
// portal. While the first task is on screen the labeling page asks which
// media the likely next task shows and fetches them; the second task then
// shows its image from what was fetched (inlined into its sandboxed page),
// without a request of its own after the first task was submitted. Needs
// build/plumbline (or PLUMBLINE_BINARY) and /usr/bin/aws.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launch, REPO, AWS_CLI, awsCli, waitJobStatus, createBoxJob, inTaskFrame } from './lib.mjs';

const BINARY = path.resolve(REPO, process.env.PLUMBLINE_BINARY || 'build/plumbline');
const AWS = AWS_CLI;
const KEY = 'AKIAPLUMBLINEPREFET1';
const SECRET = 'portal-prefetch-secret-key-0123456789abcd';
const BUCKET = 'prefetch-bucket';
const JOB = 'prefetch-job';
const IMAGES = [['first.png', 640, 400], ['second.png', 720, 480]];
const skipReason = !fs.existsSync(BINARY) ? `no server binary at ${BINARY}` : !fs.existsSync(AWS) ? `no aws CLI at ${AWS}` : null;

let dir, server, base, browser, page;
const errors = [];
const aws = (...args) => awsCli(base, KEY, SECRET, ...args);

before(async () => {
  if (skipReason) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-portal-prefetch-'));
  ({ proc: server, url: base } = await createBoxJob({
    binary: BINARY, dataDir: dir, key: KEY, secret: SECRET, bucket: BUCKET, job: JOB, images: IMAGES,
    labels: ['car'], header: 'Box every car', user: 'pia', password: 'pia-long-password', description: 'Box the cars',
  }));
  browser = await launch();
  page = await browser.context.newPage();
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()} @ ${m.location().url}`);
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server) { server.removeAllListeners('exit'); server.kill('SIGTERM'); }
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

// Which image a media link is for ("first.png"), or null.
const imageOf = (url) => {
  if (!url.includes('/worker/media?')) return null;
  return decodeURIComponent(new URL(url).searchParams.get('uri') || '').split('/').pop();
};

test('the second task\'s image is fetched while the first is labeled and shown from that fetch', { skip: skipReason || false, timeout: 180_000 }, async () => {
  const log = [];  // [what, image or path, time]
  page.on('request', (r) => {
    const image = imageOf(r.url());
    if (image) log.push(['media', image, Date.now()]);
    else if (r.url().includes('/submit')) log.push(['submit', r.url(), Date.now()]);
  });
  await page.goto(base + '/worker/');
  await page.locator('#username').waitFor();
  await page.fill('#username', 'pia');
  await page.fill('#password', 'pia-long-password');
  await page.keyboard.press('Enter');
  await page.locator(`li.job[data-job="${JOB}"]`).waitFor();
  await page.keyboard.press('1');
  await page.waitForURL(`**/worker/jobs/${JOB}`);

  // The task's frame once its image is shown. The portal puts the frame in
  // place after the page's first paint and replaces it for each task: wait
  // for it, and look again when the one found went away meanwhile.
  const loaded = async () => {
    for (let attempt = 0; ; attempt++) {
      const handle = await page.waitForSelector('.stage iframe.task', { timeout: 15000 });
      const frame = await handle.contentFrame();
      try {
        if (!frame) throw new Error('the task frame was detached');
        await frame.waitForFunction(() => { const el = document.querySelector('crowd-bounding-box'); return el && el._imgState === 'loaded' && el._stageSize; }, null, { timeout: 15000 });
        return frame;
      } catch (e) {
        if (attempt >= 3 || !/detached|closed|context was destroyed/i.test(String(e))) throw e;
      }
    }
  };
  const first = await loaded();
  assert.match(await inTaskFrame(page, () => document.querySelector('crowd-bounding-box').getAttribute('src')), /\/worker\/media\?uri=.*first\.png/);
  // The next task's image arrives in the background.
  await page.waitForFunction(() => document.body.dataset.prefetched === '1', null, { timeout: 15000 });
  const submitted = Date.now();
  // Once: a second try could submit the next task.
  await inTaskFrame(page, () => document.querySelector('crowd-bounding-box').shadowRoot.querySelector('[type="submit"]').click(), undefined, { tries: 1 });
  await page.waitForFunction(() => {
    const f = document.querySelector('.stage iframe.task');
    return f && /second|data:image\/png/.test(f.srcdoc);
  }, null, { timeout: 15000 });
  const second = await loaded();
  const props = await second.evaluate(() => {
    const el = document.querySelector('crowd-bounding-box');
    return { src: el.getAttribute('src').slice(0, 22), w: el._natural.width, h: el._natural.height };
  });
  // Shown from the fetched bytes: the image of the second object, inlined.
  assert.equal(props.src, 'data:image/png;base64,');
  assert.deepEqual([props.w, props.h], [720, 480]);

  const submits = log.filter(([what]) => what === 'submit');
  assert.equal(submits.length, 1);
  const secondMedia = log.filter(([what, image]) => what === 'media' && image === 'second.png');
  assert.ok(secondMedia.length >= 1, `the second image was requested: ${JSON.stringify(log)}`);
  assert.ok(secondMedia.every(([, , at]) => at < submits[0][2] && at <= submitted),
    `the second image was requested only before the first task was submitted: ${JSON.stringify(log)}`);
  // The answer of the second task still comes from its own image.
  await second.evaluate(() => document.querySelector('crowd-bounding-box').shadowRoot.querySelector('[type="submit"]').click());
  await page.locator('#notice-title', { hasText: 'All done' }).waitFor({ timeout: 15000 });
  await waitJobStatus(aws, JOB, ['Completed']);
  const responses = path.join(dir, 'buckets', BUCKET, 'output', JOB, 'annotations', 'worker-response', 'iteration-1', '1');
  const files = fs.readdirSync(responses);
  const response = JSON.parse(fs.readFileSync(path.join(responses, files[0]), 'utf8'));
  assert.deepEqual(response.answers[0].answerContent.boundingBox.inputImageProperties, { height: 480, width: 720 });
  assert.deepEqual(errors, []);
});
