// crowd-entity-annotation (spec crowd-elements.md §5.13) with real mouse and
// keyboard events: spans over emoji, combining marks and right-to-left
// script, label keys, relabel and removal, nested spans where allowed,
// initial-value; the answer in Ground Truth's shape with code-point offsets.
// Also ticking classes in the multi-select classifiers (§5.2, §5.4).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { launch, openPage, ORIGIN, READY_PROBE, waitReady, previewAnswer, SCREENSHOTS, SHARED, escapeHtml } from './lib.mjs';

// 🎉 (one code point, two UTF-16 units), "Zoë" with a combining diaeresis
// (three graphemes, four code points), a flag (two code points, four units),
// Arabic.
const TEXT = '🎉 Zoe\u0308 flew to Paris 🇫🇷 with ليلى.';
const LABELS = [{ label: 'person', shortDisplayName: 'per' }, { label: 'place', shortDisplayName: 'plc' },
  { label: 'thing', fullDisplayName: 'Thing or object' }];

// Code-point offsets of `needle` in `text`, as Ground Truth counts them.
const cp = (text, needle) => {
  const u = text.indexOf(needle);
  assert.ok(u >= 0, needle);
  const start = Array.from(text.slice(0, u)).length;
  return { startOffset: start, endOffset: start + Array.from(needle).length };
};

const page = (attrs, text = TEXT) => `<!doctype html><html><head><meta charset="utf-8"><title>ner</title>
<script src="https://assets.crowd.aws/crowd-html-elements.js"></script></head><body style="margin:8px">
<crowd-entity-annotation name="crowd-entity-annotation" header="Highlight people and places"
  labels="${escapeHtml(JSON.stringify(LABELS))}" text="${escapeHtml(text)}" ${attrs}>
  <short-instructions><p>Select a name, then press its label's key.</p></short-instructions>
  <full-instructions header="How to label"><p>Whole names only.</p></full-instructions>
</crowd-entity-annotation></body></html>`;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

async function open(html) {
  const { page: p, errors } = await openPage(browser.context, { '/ner.html': html });
  await p.addInitScript(READY_PROBE);
  await p.goto(ORIGIN + '/ner.html');
  await waitReady(p);
  return { p, errors };
}

// Where to press and release the mouse to select `needle` (its first match
// in the element's text): just inside its first and last characters, on
// their logical outer sides (the right of the first in right-to-left text).
async function ends(p, needle, rtl) {
  return p.evaluate(([n, rtl]) => {
    const el = document.querySelector('crowd-entity-annotation');
    const box = el.shadowRoot.querySelector('.ner-text');
    const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
    let full = '';
    const nodes = [];
    while (walker.nextNode()) {
      if (walker.currentNode.parentElement.closest('.tag')) continue;
      nodes.push([walker.currentNode, full.length]);
      full += walker.currentNode.data;
    }
    const at = full.indexOf(n);
    // A start in the node that holds it; an end at a node's end in that node.
    const locate = (i, end) => { for (let k = nodes.length - 1; k >= 0; k--) if (end ? nodes[k][1] < i : nodes[k][1] <= i) return [nodes[k][0], i - nodes[k][1]]; return null; };
    const chars = [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(n)];
    const rectOf = (from, to) => {
      const r = document.createRange();
      r.setStart(...locate(at + from));
      r.setEnd(...locate(at + to, true));
      return r.getBoundingClientRect();
    };
    const first = rectOf(0, chars[0].segment.length);
    const lastSeg = chars[chars.length - 1];
    const last = rectOf(lastSeg.index, lastSeg.index + lastSeg.segment.length);
    const y = (first.top + first.bottom) / 2;
    return rtl ? { x0: first.right - 1, x1: last.left + 1, y, first, last } : { x0: first.left + 1, x1: last.right - 1, y, first, last };
  }, [needle, rtl]);
}

async function drag(p, needle, rtl = false) {
  const { x0, x1, y } = await ends(p, needle, rtl);
  await p.mouse.move(x0, y);
  await p.mouse.down();
  await p.mouse.move((x0 + x1) / 2, y, { steps: 4 });
  await p.mouse.move(x1, y, { steps: 4 });
  await p.mouse.up();
}

// The centre of `needle`'s first character.
async function centre(p, needle) {
  const { first } = await ends(p, needle, false);
  return [(first.left + first.right) / 2, (first.top + first.bottom) / 2];
}

const entities = (p) => p.evaluate(() => document.querySelector('crowd-entity-annotation').value.entities);

test('entity annotation: mouse and keyboard spans over emoji, combining marks and Arabic, in code points', async () => {
  const { p, errors } = await open(page(''));
  // Mouse: "Paris" and the Arabic name (dragged right to left), then keys.
  await drag(p, 'Paris');
  await p.keyboard.press('2');
  await drag(p, 'ليلى', true);
  await p.keyboard.press('1');
  // Keyboard: caret at the start, past the emoji and the space (graphemes),
  // then Shift+Right over the three letters of "Zoë".
  await p.locator('crowd-entity-annotation .ner-text').focus();
  await p.keyboard.press('Home');
  await p.keyboard.press('ArrowRight');
  await p.keyboard.press('ArrowRight');
  for (let i = 0; i < 3; i++) await p.keyboard.press('Shift+ArrowRight');
  await p.keyboard.press('1');
  // The flag: a click before it, then Shift+Right once takes the whole flag.
  const { first: flag } = await ends(p, '🇫🇷', false);
  await p.mouse.click(flag.left + 1, (flag.top + flag.bottom) / 2);
  await p.keyboard.press('Shift+ArrowRight');
  await p.keyboard.press('3');
  await p.screenshot({ path: path.join(SCREENSHOTS, 'entity-annotation.png') });
  assert.deepEqual(await entities(p), [
    { ...cp(TEXT, 'Zoe\u0308'), label: 'person' },
    { ...cp(TEXT, 'Paris'), label: 'place' },
    { ...cp(TEXT, '🇫🇷'), label: 'thing' },
    { ...cp(TEXT, 'ليلى'), label: 'person' },
  ].map(({ startOffset, endOffset, label }) => ({ endOffset, label, startOffset })));
  assert.deepEqual(cp(TEXT, 'Zoe\u0308'), { startOffset: 2, endOffset: 6 });
  // Click a highlight to pick it: a label key relabels it, Delete removes it.
  await p.mouse.click(...await centre(p, 'Paris'));
  await p.keyboard.press('3');
  await p.mouse.click(...await centre(p, '🇫🇷'));
  await p.keyboard.press('Delete');
  // The "x" of the Arabic name's tag removes it too.
  await p.locator('crowd-entity-annotation .tag[data-entity] button[aria-label*="ليلى"]').click();
  // A selection overlapping an entity is refused (overlap not allowed here).
  await drag(p, 'Zoe\u0308 flew');
  await p.keyboard.press('2');
  assert.match(await p.locator('crowd-entity-annotation .status').textContent(), /cannot overlap/);
  await p.keyboard.press('Escape');
  // Submit through the element's own Submit (its inner crowd-form).
  await p.locator('crowd-entity-annotation .submit').click();
  assert.deepEqual(await previewAnswer(p), { 'crowd-entity-annotation': { entities: [
    { endOffset: 6, label: 'person', startOffset: 2 },
    { ...cp(TEXT, 'Paris'), label: 'thing' },
  ].map(({ startOffset, endOffset, label }) => ({ endOffset, label, startOffset })) } });
  assert.equal(await p.evaluate(() => !!document.querySelector('crowd-entity-annotation').shadowRoot.querySelector('crowd-form').form), true);
  assert.deepEqual(errors, []);
  await p.close();
});

test('entity annotation: right-to-left text by keyboard, nested spans where allowed, initial-value', async () => {
  const arabic = 'زارت ليلى جامعة القاهرة أمس.';
  const { p, errors } = await open(page(
    `allow-overlap initial-value="${escapeHtml(JSON.stringify([{ label: 'place', ...cp(arabic, 'القاهرة') }]))}"`, arabic));
  assert.equal(await p.evaluate(() => getComputedStyle(document.querySelector('crowd-entity-annotation').shadowRoot.querySelector('.ner-text')).direction), 'rtl');
  // In right-to-left text ArrowLeft moves forward: Home, one word, then
  // Ctrl+Shift+Left takes the next word, "ليلى".
  await p.locator('crowd-entity-annotation .ner-text').focus();
  await p.keyboard.press('Home');
  await p.keyboard.press('Control+ArrowLeft');
  await p.keyboard.press('ArrowLeft');
  await p.keyboard.press('Control+Shift+ArrowLeft');
  await p.keyboard.press('1');
  // Nested: the organisation around the (initial) place.
  await drag(p, 'جامعة القاهرة', true);
  await p.locator('crowd-entity-annotation .label-button[data-label=thing]').click();
  await p.screenshot({ path: path.join(SCREENSHOTS, 'entity-annotation-rtl.png') });
  const value = await p.evaluate(() => document.querySelector('crowd-entity-annotation').value);
  assert.deepEqual(value, { initialValueModified: true, entities: [
    { ...cp(arabic, 'ليلى'), label: 'person' },
    { ...cp(arabic, 'جامعة القاهرة'), label: 'thing' },
    { ...cp(arabic, 'القاهرة'), label: 'place' },
  ].map(({ startOffset, endOffset, label }) => ({ endOffset, label, startOffset })) });
  assert.deepEqual(errors, []);
  await p.close();
});

test('entity annotation inside an outer crowd-form: the outer form submits the entities', async () => {
  const html = `<!doctype html><meta charset="utf-8"><script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
    <crowd-form><crowd-entity-annotation name="ner" labels='[{"label":"person"}]' text="Ada met Bob."></crowd-entity-annotation>
    <input name="note" value="n"></crowd-form>`;
  const { p, errors } = await open(html);
  await drag(p, 'Bob');
  await p.keyboard.press('1');
  await p.locator('crowd-entity-annotation .submit').click();
  assert.deepEqual(await p.evaluate(() => JSON.parse(document.querySelector('body > crowd-form').shadowRoot.querySelector('#answers-box pre').textContent)),
    { ner: { entities: [{ endOffset: 11, label: 'person', startOffset: 8 }] }, note: 'n' });
  assert.deepEqual(errors, []);
  await p.close();
});

test('multi-select classifiers: ticking classes with the mouse and keys gives {labels: [...]}', async () => {
  const cats = escapeHtml(JSON.stringify(['cat', 'dog', 'outdoor']));
  const html = `<!doctype html><meta charset="utf-8"><script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
    <crowd-form><crowd-image-classifier-multi-select name="tags" src="/img/pets" header="Tag the image" categories="${cats}">
      <worker-comment header="Comment"></worker-comment></crowd-image-classifier-multi-select></crowd-form>`;
  const { p, errors } = await open(html);
  await p.locator('crowd-image-classifier-multi-select .category-button[data-category=cat]').click();
  await p.keyboard.press('3');
  await p.keyboard.press('2');
  await p.keyboard.press('2'); // untick
  await p.locator('crowd-image-classifier-multi-select .comment-link').click();
  await p.locator('crowd-image-classifier-multi-select textarea.comment').fill('two cats');
  await p.locator('crowd-image-classifier-multi-select .comment-save').click();
  await p.screenshot({ path: path.join(SCREENSHOTS, 'image-multi-select.png') });
  await p.locator('crowd-image-classifier-multi-select .submit').click();
  assert.deepEqual(await previewAnswer(p), { tags: { labels: ['cat', 'outdoor'], workerComment: 'two cats' } });
  assert.deepEqual(errors, []);
  await p.close();
});

test('image classifier overlays: earlier boxes and masks drawn over the image, with a legend and a switch', async () => {
  const cats = escapeHtml(JSON.stringify(['correct', 'wrong']));
  const seg = escapeHtml(JSON.stringify({ semanticSegmentation: { labels: ['cat', 'dog'], src: '/img/mask',
    labelMappings: { cat: { color: '#ff0000' }, dog: { color: '#00ff00' } } } }));
  const boxes = escapeHtml(JSON.stringify({ boundingBox: { labels: ['cat'], value: [
    { label: 'cat', left: 40, top: 30, width: 200, height: 150 }, { label: 'cat', left: 300, top: 200, width: 100, height: 90 }] } }));
  const html = `<!doctype html><meta charset="utf-8"><script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
    <crowd-form><crowd-image-classifier id="seg" name="verdict" src="/img/pets" header="Is the mask right?" categories="${cats}" overlay="${seg}"></crowd-image-classifier>
    <crowd-image-classifier id="box" name="boxes" src="/img/street" header="Are the boxes right?" categories="${cats}" overlay="${boxes}"></crowd-image-classifier></crowd-form>`;
  const { p, errors } = await open(html);
  const seen = await p.evaluate(() => {
    const sr = document.querySelector('#seg').shadowRoot;
    return { mask: sr.querySelector('.overlay-mask').getAttribute('src'), maskShown: !sr.querySelector('.overlay-mask').hidden,
      legend: [...sr.querySelectorAll('.overlay-legend li')].map((li) => [li.textContent, getComputedStyle(li.querySelector('.swatch')).backgroundColor]),
      barShown: !sr.querySelector('.overlay-bar').hidden };
  });
  assert.deepEqual(seen, { mask: '/img/mask', maskShown: true, barShown: true,
    legend: [['cat', 'rgb(255, 0, 0)'], ['dog', 'rgb(0, 255, 0)']] });
  await p.waitForFunction(() => document.querySelector('#box').shadowRoot.querySelectorAll('.overlay rect').length === 2);
  assert.deepEqual(await p.evaluate(() => [...document.querySelector('#box').shadowRoot.querySelectorAll('.overlay rect')]
    .map((r) => ['x', 'y', 'width', 'height'].map((a) => Number(r.getAttribute(a))))), [[40, 30, 200, 150], [300, 200, 100, 90]]);
  // Drawn, not only in the tree: the boxes cover part of the image on screen.
  const box = await p.evaluate(() => {
    const r = document.querySelector('#box').shadowRoot.querySelector('.overlay rect').getBoundingClientRect();
    return { w: r.width, h: r.height };
  });
  assert.ok(box.w > 50 && box.h > 40, JSON.stringify(box));
  await p.screenshot({ path: path.join(SCREENSHOTS, 'image-classifier-overlays.png'), fullPage: true });
  // The switch hides the earlier labels (to see the image alone) and brings them back.
  const visibility = () => p.evaluate(() => getComputedStyle(document.querySelector('#seg').shadowRoot.querySelector('.overlay-mask')).visibility);
  await p.locator('#seg .overlay-toggle').uncheck();
  assert.equal(await visibility(), 'hidden');
  await p.locator('#seg .overlay-toggle').check();
  assert.equal(await visibility(), 'visible');
  // Without an overlay there is neither a mask nor a legend.
  await p.evaluate(() => document.querySelector('#seg').removeAttribute('overlay'));
  assert.equal(await p.evaluate(() => document.querySelector('#seg').shadowRoot.querySelector('.overlay-bar').hidden), true);
  await p.locator('#seg .category-button[data-category=correct]').click();
  await p.locator('#box .category-button[data-category=wrong]').click();
  await p.locator('#box .submit').click();
  assert.deepEqual(await previewAnswer(p), { verdict: { label: 'correct' }, boxes: { label: 'wrong' } });
  assert.deepEqual(errors, []);
  await p.close();
});

test('Ground Truth sample NER templates: extra questions appended to the inner form, labels as strings', async () => {
  const dir = path.join(SHARED, 'data', 'templates', 'amazon-sagemaker-ground-truth-task-uis', 'text');
  const extra = fs.readFileSync(path.join(dir, 'named-entity-recognition-with-additional-classification.liquid.html'), 'utf8');
  const { p, errors } = await open(extra);
  await drag(p, 'Amazon SageMaker Ground Truth');
  await p.keyboard.press('3');
  await p.locator('crowd-radio-button[name=tech]').click();
  await p.screenshot({ path: path.join(SCREENSHOTS, 'entity-annotation-sample.png') });
  await p.locator('crowd-entity-annotation .submit').click();
  assert.deepEqual(await previewAnswer(p), {
    'crowd-entity-annotation': { entities: [{ endOffset: 29, label: 'company', startOffset: 0 }] },
    tech: { tech: true }, politics: { politics: false },
  });
  assert.deepEqual(errors, []);
  await p.close();

  // The Liquid sample with the standard task input: labels are strings.
  const text = 'Ada Lovelace wrote to Babbage.';
  const ner = fs.readFileSync(path.join(dir, 'named-entity-recognition.liquid.html'), 'utf8')
    .replace('{{ task.input.labels | to_json | escape }}', escapeHtml(JSON.stringify(['person', 'place'])))
    .replace('{{ task.input.taskObject }}', escapeHtml(text));
  const second = await open(ner);
  await drag(second.p, 'Ada Lovelace');
  await second.p.keyboard.press('1');
  assert.deepEqual(await second.p.evaluate(() => document.querySelector('crowd-entity-annotation').value),
    { entities: [{ endOffset: 12, label: 'person', startOffset: 0 }] });
  assert.deepEqual(second.errors, []);
  await second.p.close();
});
