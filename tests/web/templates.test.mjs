// Data-driven: every Ground Truth sample template (shared/data/templates/) that
// uses only this crowd elements renders, upgrades without console
// errors, and submits the documented JSON shape (spec crowd-elements.md §3.5, §4, §5).
// Liquid is filled minimally here; templates with Liquid control flow are
// rendered by Plumbline's engine (`plumbline template render`) with the sample
// inputs below; templates that need a third-party script from a CDN are
// skipped with the reason printed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { launch, openPage, ORIGIN, READY_PROBE, waitReady, SHARED, escapeHtml, SCREENSHOTS } from './lib.mjs';

const CORPUS = path.join(SHARED, 'data', 'templates', 'amazon-sagemaker-ground-truth-task-uis');
const OURS = new Set(['crowd-form', 'crowd-button', 'crowd-classifier', 'crowd-classifier-multi-select', 'crowd-image-classifier',
  'crowd-image-classifier-multi-select', 'crowd-input', 'crowd-text-area', 'crowd-checkbox', 'crowd-radio-group',
  'crowd-radio-button', 'crowd-slider', 'crowd-toggle-button', 'crowd-icon-button', 'crowd-alert', 'crowd-badge',
  'crowd-card', 'crowd-modal', 'crowd-tabs', 'crowd-tab', 'crowd-tooltip', 'crowd-fab', 'crowd-instructions',
  'crowd-bounding-box', 'crowd-polygon', 'crowd-keypoint', 'crowd-line', 'crowd-polyline', 'crowd-semantic-segmentation',
  'crowd-instance-segmentation']);
// The image tools: the output key of each one's shapes.
const IMAGE_TOOLS = { 'crowd-bounding-box': 'boundingBoxes', 'crowd-polygon': 'polygons', 'crowd-keypoint': 'keypoints',
  'crowd-line': 'lines', 'crowd-polyline': 'polylines', 'crowd-semantic-segmentation': 'labeledImage',
  'crowd-instance-segmentation': 'labeledImage' };

function listTemplates(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listTemplates(p));
    else if (e.name.endsWith('.html')) out.push(p);
  }
  return out.sort();
}

// Task inputs for the templates with Liquid control flow, rendered by the real
// engine (the binary of the build under test).
const BINARY = process.env.PLUMBLINE_BINARY || path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'build', 'plumbline');
const LIQUID_INPUTS = {
  'gen-ai/content-moderation-ai-model-output.liquid.html': {
    source: 'Write a short note about the new bridge.',
    modelResponses: ['The bridge opens in May.', 'The committee approved the design.'] },
  'other/tabular-data.liquid.html': {
    Pairs: [{ row: '1', biometricdate: '2024-01-02', patientname: 'A. Smith', a1c: '5.6', totalchol: '180' },
      { row: '2', biometricdate: '2024-02-03', patientname: 'B. Jones', a1c: '6.1', totalchol: '210' }] },
  'text/translation-review-and-correction.liquid.html': {
    SourceLanguage: 'French', TargetLanguage: 'English',
    translationPairs: [{ originalText: 'Bonjour', translation: 'Hello' }, { originalText: 'Merci', translation: 'Thank you' }] },
};

function renderWithEngine(file, input) {
  const ctx = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'plb-tpl-')), 'context.json');
  fs.writeFileSync(ctx, JSON.stringify({ task: { input } }));
  return execFileSync(BINARY, ['template', 'render', file, '--context', ctx], { encoding: 'utf8' });
}

// Why a template is not run, or '' to run it.
function skipReason(html, rel) {
  const tags = [...new Set([...html.matchAll(/<(crowd-[a-z0-9-]+)/g)].map((m) => m[1]))];
  const foreign = tags.filter((t) => !OURS.has(t));
  if (foreign.length) return `uses ${foreign.join(', ')} (not supported yet)`;
  if (/\{%/.test(html) && !LIQUID_INPUTS[rel]) return 'Liquid control flow ({% %}) without a sample input here';
  if (/\{%/.test(html) && !fs.existsSync(BINARY)) return `Liquid control flow: needs the plumbline binary (${BINARY})`;
  const cdn = [...html.matchAll(/<script[^>]+src="([^"]+)"/g)].map((m) => m[1]).filter((u) => !u.endsWith('/crowd-html-elements.js'));
  if (cdn.length) return `needs third-party script ${cdn.join(', ')} (offline here)`;
  return '';
}

// Sample inputs where a template needs a particular shape (by template, then key).
const OVERRIDES = {
  'text/formatted-text-evaluation.liquid.html': { highlightParts: '["committee"]' },
  'video/video-classification-youtube.liquid.html': { taskObject: `${ORIGIN}/embed.html` },
};
const EMBED = '<!doctype html><title>embedded video</title><p style="font:16px sans-serif">(video player)</p>';

// Minimal Liquid: {{ path | filters }} only, autoescaped like Plumbline's engine.
function fillLiquid(html, overrides = {}) {
  return html.replace(/\{\{\s*([^}|]+?)\s*((?:\|[^}]*)?)\}\}/g, (_, p, filters) => {
    const key = p.trim();
    const last = key.split('.').pop();
    if (overrides[last] !== undefined) return escapeHtml(overrides[last]);
    if (/grant_read_access/.test(filters)) return `${ORIGIN}/img/${encodeURIComponent(last)}.svg`;
    if (/to_json/.test(filters)) return escapeHtml(JSON.stringify(['alpha', 'beta', 'gamma']));
    if (/url|link|src|image/i.test(last)) return `${ORIGIN}/img/${encodeURIComponent(last)}.svg`;
    return escapeHtml(`Sample ${last}: the committee approved the new bridge design after a long debate.`);
  });
}

// Runs in the page: fills every field the way a worker would, and returns what
// each named crowd element is expected to contribute.
function autofill() {
  const form = document.querySelector('crowd-form');
  const expect = [];
  const textFor = (type) => ({ number: '3', email: 'worker@example.com', url: 'https://example.com/', date: '2024-01-02', tel: '5551234' }[type] || 'sample answer');
  // A value within the input's own min/max when it has them (dates in the past).
  const valueFor = (el) => (el.type === 'date' && el.max) ? el.max : textFor(el.type);
  for (const el of form.querySelectorAll('*')) {
    const tag = el.localName;
    const name = el.getAttribute('name');
    // Disabled controls are left out of the answer, as in an HTML form.
    if (el.hasAttribute('disabled')) continue;
    const imageTools = { 'crowd-bounding-box': 'boundingBoxes', 'crowd-polygon': 'polygons', 'crowd-keypoint': 'keypoints',
      'crowd-line': 'lines', 'crowd-polyline': 'polylines', 'crowd-semantic-segmentation': 'labeledImage',
  'crowd-instance-segmentation': 'labeledImage' };
    if (imageTools[tag]) {
      expect.push({ name, kind: 'image-tool', key: imageTools[tag] });
    } else if (/^crowd-(image-)?classifier(-multi-select)?$/.test(tag)) {
      const b = el.shadowRoot.querySelector('button.category-button');
      if (!b) { expect.push({ name, kind: 'broken', tag }); continue; }
      b.click();
      expect.push({ name, kind: tag.endsWith('multi-select') ? 'labels' : 'label', value: b.dataset.category });
    } else if (tag === 'crowd-input' || tag === 'crowd-text-area') {
      const v = textFor((el.getAttribute('type') || 'text').toLowerCase());
      el.value = v;
      expect.push({ name, kind: 'string', value: v });
    } else if (tag === 'crowd-checkbox' || tag === 'crowd-toggle-button' || tag === 'crowd-radio-button') {
      if (el.required) el.checked = true;
      expect.push({ name, kind: 'checkable', value: el.hasAttribute('value') ? el.getAttribute('value') : 'on' });
    } else if (tag === 'crowd-slider') {
      const r = el.shadowRoot.querySelector('input[type=range]');
      r.dispatchEvent(new Event('input', { bubbles: true }));
      expect.push({ name, kind: 'number' });
    } else if (tag === 'input' && !['hidden', 'submit', 'button', 'reset', 'image', 'file'].includes(el.type)) {
      if (el.type === 'radio' || el.type === 'checkbox') {
        if (el.required && !form.querySelector(`input[name="${CSS.escape(el.name)}"]:checked`)) el.checked = true;
      } else if (!el.value) el.value = valueFor(el);
    } else if (tag === 'select' && !el.value) {
      const opt = [...el.options].find((o) => o.value);
      if (opt) el.value = opt.value;
    } else if (tag === 'textarea' && !el.value) el.value = 'sample answer';
  }
  return expect.filter((e) => e.name);
}

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

const files = listTemplates(CORPUS);
test('the template corpus is present', () => assert.ok(files.length > 50, `no templates under ${CORPUS}`));

for (const file of files) {
  const rel = path.relative(CORPUS, file);
  const html = fs.readFileSync(file, 'utf8');
  const reason = skipReason(html, rel);
  test(`template ${rel}`, { skip: reason || false }, async () => {
    const rendered = LIQUID_INPUTS[rel] ? renderWithEngine(file, LIQUID_INPUTS[rel]) : fillLiquid(html, OVERRIDES[rel]);
    const { page, errors } = await openPage(browser.context, { '/task.html': rendered, '/embed.html': EMBED });
    try {
      await page.addInitScript(READY_PROBE);
      await page.goto(ORIGIN + '/task.html');
      await waitReady(page);
      const undefinedTags = await page.evaluate(() => [...document.querySelectorAll('*')]
        .filter((e) => e.localName.startsWith('crowd-') && !customElements.get(e.localName)).map((e) => e.localName));
      assert.deepEqual(undefinedTags, [], 'every crowd element is defined');
      if (rel === 'text/text-classification.liquid.html' || rel === 'images/image-classification-multiselect.liquid.html' || rel === 'images/image-summarization.liquid.html') {
        await page.screenshot({ path: path.join(SCREENSHOTS, `tpl-${path.basename(rel, '.liquid.html')}.png`) });
      }
      // Image tools load their image before they can be submitted.
      await page.waitForFunction((tags) => [...document.querySelectorAll(tags)].every((e) => e._imgState === 'loaded'),
        Object.keys(IMAGE_TOOLS).join(','), { timeout: 5000 });
      // A click with the real mouse in the middle of each image tool: a
      // keypoint there (one template checks that points were placed); Esc
      // drops a line the click may have started.
      const centres = await page.evaluate((tags) => [...document.querySelectorAll(tags)].map((e) => {
        const r = e.shadowRoot.querySelector('canvas.upper-canvas').getBoundingClientRect();
        return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
      }), Object.keys(IMAGE_TOOLS).join(','));
      for (const c of centres) { await page.mouse.click(c.x, c.y); await page.keyboard.press('Escape'); }
      const expect = await page.evaluate(autofill);
      await page.evaluate(() => document.querySelector('crowd-form').submit());
      const pre = page.locator('crowd-form #answers-box pre');
      await pre.waitFor({ state: 'visible', timeout: 3000 }).catch(async () => {
        const toast = await page.locator('crowd-form .toast').textContent().catch(() => '');
        throw new Error(`no answer after submit (refusal: ${toast || 'none'})`);
      });
      const answer = JSON.parse(await pre.textContent());
      const counts = {};
      for (const e of expect) counts[e.name] = (counts[e.name] || 0) + 1;
      for (const e of expect) {
        const got = answer[e.name];
        if (e.kind === 'broken') assert.fail(`${e.tag} has no categories`);
        if (e.kind === 'label') assert.deepEqual(Object.keys(got), ['label'], `${e.name} output keys`), assert.equal(got.label, e.value);
        if (e.kind === 'labels') assert.ok(Array.isArray(got.labels) && got.labels.includes(e.value), `${e.name}.labels`);
        if (e.kind === 'string' && counts[e.name] === 1) assert.equal(got, e.value, `${e.name}`);
        if (e.kind === 'checkable') assert.equal(typeof got[e.value], 'boolean', `${e.name}.${e.value}`);
        if (e.kind === 'number') assert.equal(typeof got, 'number', `${e.name}`);
        if (e.kind === 'image-tool') {
          if (e.key === 'labeledImage') assert.match(got.labeledImage.pngImageData, /^iVBORw0KGgo/, `${e.name}: a PNG`);
          else assert.ok(Array.isArray(got[e.key]), `${e.name}.${e.key}`);
          assert.deepEqual(got.inputImageProperties, { height: 400, width: 640 }, `${e.name}.inputImageProperties`);
        }
      }
      assert.deepEqual(errors, [], 'no console errors');
    } finally {
      await page.close();
    }
  });
}
