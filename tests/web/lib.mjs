// Shared helpers for the browser tests of web/crowd (Playwright + Chromium).
//
// Pages are served from a fake origin through page.route, so no port is opened:
//   http://plumbline.test/<name>.html   a page registered with servePage()
//                                       (a Buffer is served as image/png)
//   https://assets.crowd.aws/crowd-html-elements.js -> the concatenated web/crowd bundle
//   any other URL: images get a generated SVG, everything else is aborted (offline).
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, '..', '..');
export const SHARED = process.env.PLUMBLINE_SHARED_DIR
  ? path.resolve(process.env.PLUMBLINE_SHARED_DIR)
  : path.resolve(REPO, '..', 'shared');
export const ORIGIN = 'http://plumbline.test';
export const BUNDLE_URL = 'https://assets.crowd.aws/crowd-html-elements.js';
export const SCREENSHOTS = path.join(here, 'screenshots');

// The bundle exactly as the C++ build makes it: files of web/crowd/ORDER, in order.
export function buildBundle() {
  const dir = path.join(REPO, 'web', 'crowd');
  const names = fs.readFileSync(path.join(dir, 'ORDER'), 'utf8').split('\n').map((s) => s.trim()).filter((s) => s && !s.startsWith('#'));
  return names.map((n) => fs.readFileSync(path.join(dir, n), 'utf8')).join('\n;\n');
}

export const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

export function svgImage(w = 640, h = 400, label = 'sample image') {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">
<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#8fb8de"/><stop offset="1" stop-color="#3d6b8f"/></linearGradient></defs>
<rect width="100%" height="100%" fill="url(#g)"/><circle cx="${w * 0.7}" cy="${h * 0.35}" r="${h * 0.12}" fill="#f6d365"/>
<path d="M0 ${h} L${w * 0.3} ${h * 0.45} L${w * 0.55} ${h} Z" fill="#2f4f3f"/><path d="M${w * 0.35} ${h} L${w * 0.65} ${h * 0.55} L${w} ${h} Z" fill="#406b52"/>
<text x="16" y="32" font-family="sans-serif" font-size="20" fill="#fff">${escapeHtml(label)}</text></svg>`;
}

export async function launch() {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-web-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 800 },
  });
  const close = async () => {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  };
  return { context, close };
}

// Opens a page on `context` with the routing described at the top and
// console/page error capture. Returns { page, errors, pages }.
export async function openPage(context, pages = {}) {
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const url = (m.location() && m.location().url) || '';
    // Offline: loads of third-party resources are expected to fail.
    if (/Failed to load resource/.test(m.text()) && url && !url.startsWith(ORIGIN)) return;
    errors.push(`console: ${m.text()} @ ${url}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  const bundle = buildBundle();
  await page.route('**/*', async (route) => {
    const req = route.request();
    const url = req.url();
    if (url === BUNDLE_URL) return route.fulfill({ status: 200, contentType: 'text/javascript', body: bundle });
    if (url.startsWith(ORIGIN + '/')) {
      const p = new URL(url).pathname;
      if (Buffer.isBuffer(pages[p])) return route.fulfill({ status: 200, contentType: 'image/png', body: pages[p] });
      if (pages[p] !== undefined) return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: pages[p] });
      if (p.startsWith('/img/')) return route.fulfill({ status: 200, contentType: 'image/svg+xml', body: svgImage(640, 400, p.slice(5)) });
      return route.fulfill({ status: 404, body: 'not found' });
    }
    if (req.resourceType() === 'image') return route.fulfill({ status: 200, contentType: 'image/svg+xml', body: svgImage() });
    return route.abort();
  });
  return { page, errors };
}

// The seed template (shared/seed/worker_gui.html) with its Liquid placeholders
// filled as Plumbline renders them (autoescape on, to_json | escape for labels).
export function renderSeed(labels = ['person', 'animal', 'plant'], taskObject = 'The quick brown fox jumps over the lazy dog near the riverbank.') {
  const src = fs.readFileSync(path.join(SHARED, 'seed', 'worker_gui.html'), 'utf8');
  const out = src
    .replace('{{ task.input.labels | to_json | escape }}', escapeHtml(JSON.stringify(labels)))
    .replace('{{ task.input.taskObject }}', escapeHtml(taskObject));
  if (out.includes('{{') || out.includes('{%')) throw new Error('seed has unfilled Liquid');
  return out;
}

// Reads the JSON shown in crowd-form's #answers-box (preview mode, no parent frame).
export async function previewAnswer(page) {
  const pre = page.locator('crowd-form #answers-box pre');
  await pre.waitFor({ state: 'visible', timeout: 3000 });
  return JSON.parse(await pre.textContent());
}

export async function waitReady(page) {
  await page.waitForFunction(() => window.__crowdReady === true, null, { timeout: 5000 });
}

// Script injected before the page's own scripts to record the ready event.
export const READY_PROBE = `
  window.__crowdReadyCount = 0;
  document.addEventListener('all-crowd-elements-ready', () => { window.__crowdReady = true; window.__crowdReadyCount++; });
`;

// A PNG (RGB, 8 bits) of w x h made here: a gradient with a grid of darker
// squares, so that images in tests are real rasters with known sizes.
export function makePng(w, h) {
  const crcTable = new Int32Array(256).map((_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c; });
  const crc = (buf) => { let c = -1; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ -1) >>> 0; };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    const o = y * (w * 3 + 1);
    raw[o] = 0;
    for (let x = 0; x < w; x++) {
      const dark = ((x >> 6) + (y >> 6)) % 2 === 0 ? 0.75 : 1;
      raw[o + 1 + 3 * x] = Math.round((60 + (140 * x) / w) * dark);
      raw[o + 2 + 3 * x] = Math.round((90 + (120 * y) / h) * dark);
      raw[o + 3 + 3 * x] = Math.round(150 * dark);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 1 })), chunk('IEND', Buffer.alloc(0))]);
}

// ---- a real server, for the tests that run one (portal, console)

export const AWS_CLI = process.env.AWS_CLI || '/usr/bin/aws';

// The aws CLI against `base` signing as key/secret: its JSON answer ({} for
// none). Throws when the command fails.
export function awsCli(base, key, secret, ...args) {
  const out = execFileSync(AWS_CLI, ['--endpoint-url', base, '--region', 'us-west-2', '--output', 'json', ...args], {
    env: { ...process.env, AWS_ACCESS_KEY_ID: key, AWS_SECRET_ACCESS_KEY: secret, AWS_DEFAULT_REGION: 'us-west-2',
      AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: os.devnull, AWS_SHARED_CREDENTIALS_FILE: os.devnull, AWS_PAGER: '' },
    encoding: 'utf8', timeout: 30000,
  });
  return out.trim() ? JSON.parse(out) : {};
}

// Describes `job` through `aws` (an awsCli bound to a server) until its
// status is one of `statuses`: the last description.
export async function waitJobStatus(aws, job, statuses, timeoutMs = 20000) {
  const end = Date.now() + timeoutMs;
  let d;
  while (Date.now() < end) {
    d = aws('sagemaker', 'describe-labeling-job', '--labeling-job-name', job);
    if (statuses.includes(d.LabelingJobStatus)) return d;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`job ${job} did not reach ${statuses}: ${JSON.stringify(d)}`);
}

// `plumbline serve` on a free loopback port over `dataDir`, with key/secret
// as its root access key: {proc, url} once it says where it listens.
export function startPlumbline(binary, dataDir, key, secret) {
  return new Promise((resolve, reject) => {
    const p = spawn(binary, ['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0'], {
      env: { ...process.env, PLUMBLINE_ROOT_ACCESS_KEY_ID: key, PLUMBLINE_ROOT_SECRET_ACCESS_KEY: secret },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 15000);
    p.stdout.on('data', (b) => {
      out += b;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) { clearTimeout(timer); resolve({ proc: p, url: m[1] }); }
    });
    p.stderr.on('data', (b) => { out += b; });
    p.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}: ${out}`)); });
  });
}

// A BoundingBox job over `images` ([[name, width, height], ...], made as PNGs
// under img/ of `bucket`), made with the aws CLI on a new server over
// `dataDir`, and one worker in the job's team: {proc, url, aws} once the job
// is InProgress. The template is crowd-bounding-box with `header` and, when
// given, short `instructions`.
export async function createBoxJob({ binary, dataDir, key, secret, bucket, job, images, labels, header,
  instructions = '', user, password, description = 'Boxes' }) {
  const root = path.join(dataDir, 'buckets', bucket);
  fs.mkdirSync(path.join(root, 'img'), { recursive: true });
  for (const [name, w, h] of images) fs.writeFileSync(path.join(root, 'img', name), makePng(w, h));
  fs.writeFileSync(path.join(root, 'boxes.manifest'),
    images.map(([name]) => JSON.stringify({ 'source-ref': `s3://${bucket}/img/${name}` }) + '\n').join(''));
  fs.writeFileSync(path.join(root, 'labels.json'),
    JSON.stringify({ 'document-version': '2018-11-28', labels: labels.map((label) => ({ label })) }));
  fs.writeFileSync(path.join(root, 'box.html'),
    '<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>' +
    '<crowd-form><crowd-bounding-box name="boundingBox" src="{{ task.input.taskObject | grant_read_access }}" ' +
    `header="${escapeHtml(header)}" labels="{{ task.input.labels | to_json | escape }}">` +
    (instructions ? `<short-instructions>${escapeHtml(instructions)}</short-instructions>` : '') +
    '</crowd-bounding-box></crowd-form>');
  const { proc, url } = await startPlumbline(binary, dataDir, key, secret);
  const aws = (...args) => awsCli(url, key, secret, ...args);
  const group = `${job}-workers`;
  execFileSync(binary, ['users', 'add', '--data-dir', dataDir, '--username', user, '--password-stdin', '--groups', group],
    { input: `${password}\n`, stdio: ['pipe', 'ignore', 'inherit'] });
  const team = aws('sagemaker', 'create-workteam', '--workteam-name', `${job}-team`, '--description', `${job} team`,
    '--member-definitions', JSON.stringify([{ OidcMemberDefinition: { Groups: [group] } }]));
  const builtIn = (kind) => `arn:aws:lambda:us-west-2:081040173940:function:${kind}-BoundingBox`;
  aws('sagemaker', 'create-labeling-job', '--labeling-job-name', job, '--label-attribute-name', 'bbox',
    '--label-category-config-s3-uri', `s3://${bucket}/labels.json`,
    '--role-arn', 'arn:aws:iam::123456789012:role/GroundTruthExecutionRole',
    '--input-config', JSON.stringify({ DataSource: { S3DataSource: { ManifestS3Uri: `s3://${bucket}/boxes.manifest` } } }),
    '--output-config', JSON.stringify({ S3OutputPath: `s3://${bucket}/output` }),
    '--human-task-config', JSON.stringify({
      AnnotationConsolidationConfig: { AnnotationConsolidationLambdaArn: builtIn('ACS') },
      PreHumanTaskLambdaArn: builtIn('PRE'),
      TaskTimeLimitInSeconds: 600, NumberOfHumanWorkersPerDataObject: 1, WorkteamArn: team.WorkteamArn,
      TaskDescription: description, TaskTitle: 'Boxes', UiConfig: { UiTemplateS3Uri: `s3://${bucket}/box.html` },
    }));
  await waitJobStatus(aws, job, ['InProgress']);
  return { proc, url, aws };
}

// Frame-time tests: the time an element takes to draw a frame while the mouse
// drags, against a 16 ms frame budget.
//
// A burst of other work on a 2-core machine (the other test files' browsers
// and servers) stretches a measured draw by the time the renderer was not
// scheduled, so tests/web/run.sh runs these tests in a pass of their own after
// the others: the first pass sets PLUMBLINE_FRAME_TIMES=later and they skip
// themselves. Run alone (node --test <file>), a file runs them with the rest.
// Their names start with "frame times", the pattern the second pass selects.
export const FRAME_TIMES_LATER = 'deferred to the serial frame-time pass';
export function frameTimesTest(name, fn) {
  if (!name.startsWith('frame times')) throw new Error(`a frame-time test's name starts with "frame times": ${name}`);
  return test(name, { skip: process.env.PLUMBLINE_FRAME_TIMES === 'later' && FRAME_TIMES_LATER }, fn);
}

// The value at quantile q of arr (nearest rank).
export const pct = (arr, q) => { const s = [...arr].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };

// Starts recording, in the page, the draw times the element at `selector`
// keeps in _drawTimes and the intervals between animation frames.
export async function startFrameClock(p, selector) {
  await p.evaluate((sel) => {
    document.querySelector(sel)._drawTimes.length = 0;
    window.__intervals = []; let last = performance.now();
    window.__rafOn = true;
    const tick = (t) => { window.__intervals.push(t - last); last = t; if (window.__rafOn) requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  }, selector);
}

// Stops the clock; returns { draws, intervals } in ms (the first two
// intervals, which straddle the start, left out).
export function stopFrameClock(p, selector) {
  return p.evaluate((sel) => {
    window.__rafOn = false;
    return { draws: document.querySelector(sel)._drawTimes.slice(), intervals: window.__intervals.slice(2) };
  }, selector);
}

// Draw times and frame intervals of the page while `act` runs.
export async function measureFrames(p, selector, act) {
  await startFrameClock(p, selector);
  await act();
  return stopFrameClock(p, selector);
}

// The figures the frame-time tests print and check.
export function frameFigures({ draws, intervals }) {
  const r2 = (x) => +x.toFixed(2);
  return { frames: draws.length, drawP50: r2(pct(draws, 0.5)), drawP95: r2(pct(draws, 0.95)), drawMax: r2(Math.max(...draws)),
    intervalP95: +pct(intervals, 0.95).toFixed(1) };
}

// Takes a timing measurement again, up to `attempts` times in all, while its
// figures miss the budget (`fits` is false), and returns the last figures
// with `tries` added. Even in a pass of its own a frame-time test shares the
// machine with whatever else runs on it; a draw that is really too slow misses
// on every try.
export async function withinBudget(what, measure, fits, attempts = 3) {
  let f;
  for (let tries = 1; tries <= attempts; tries++) {
    f = await measure();
    f.tries = tries;
    if (fits(f)) break;
    console.log(`# ${what}: over budget on try ${tries}: ${JSON.stringify(f)}`);
  }
  return f;
}

// The worker portal's task frame: a sandboxed srcdoc iframe, which Chromium
// runs out of process, replaced by a new one for each task. An evaluation in
// such a frame caught while the page swaps it can wait forever in Playwright
// (seen once on a loaded CI machine: the portal test hung until the run was
// cut). So the portal tests evaluate through inTaskFrame: each try is
// bounded, and a try that fails or times out is made again on the frame the
// page shows then.
export async function taskFrame(page) {
  const handle = await page.waitForSelector('.stage iframe.task', { timeout: 15000 });
  const frame = await handle.contentFrame();
  if (!frame) throw new Error('the task frame was detached');
  return frame;
}
// The task frame once `selector` is in it. The frame found may be the one
// the page is about to replace (or none, between two tasks): a try whose
// frame goes away is made again on the frame the page shows then.
export async function taskFrameWith(page, selector, { timeout = 5000, tries = 3 } = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      const frame = await taskFrame(page);
      await frame.locator(selector).first().waitFor({ timeout });
      return frame;
    } catch (e) {
      if (attempt >= tries) throw e;
    }
  }
}
export async function inTaskFrame(page, fn, arg, { timeout = 5000, tries = 3 } = {}) {
  for (let attempt = 1; ; attempt++) {
    let timer;
    try {
      const frame = await taskFrame(page);
      return await Promise.race([
        frame.evaluate(fn, arg),
        new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer from the task frame in ${timeout} ms`)), timeout); }),
      ]);
    } catch (e) {
      if (attempt >= tries) throw e;
      console.log(`# task frame evaluation, try ${attempt}: ${String(e).split('\n')[0]}`);
    } finally {
      clearTimeout(timer);
    }
  }
}

// A key that submits the task: its keydown reaches the task's frame, which
// submits, and the portal then replaces that frame with the next task's. The
// keyup can reach Chromium after the frame is gone, and its acknowledgement
// may then never come (a labeling test hung on it on a loaded machine, with
// the answer stored and the next task claimed), so the keyup is waited for
// at most a second.
export async function pressSubmittingKey(page, key = 'Enter') {
  await page.keyboard.down(key);
  let timer;
  await Promise.race([
    page.keyboard.up(key).catch(() => {}),
    new Promise((resolve) => { timer = setTimeout(resolve, 1000); }),
  ]);
  clearTimeout(timer);
}
