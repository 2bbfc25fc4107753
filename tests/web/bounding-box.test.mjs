// crowd-bounding-box (spec crowd-elements.md §5.5, §5.12) with real mouse
// events on PNG images made here: drawing, labels by key, select, move,
// resize, delete, undo/redo, zoom with the wheel, initial-value and
// initialValueModified, the labels property, and frame times while dragging
// a box on a 4000x3000 image with 200 boxes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launch, openPage, ORIGIN, READY_PROBE, waitReady, previewAnswer, SCREENSHOTS, escapeHtml, makePng,
  frameTimesTest, measureFrames, frameFigures, withinBudget } from './lib.mjs';

const SMALL = makePng(800, 533);
let BIG = null; // 4000x3000, made when its test runs

const page = (attrs, img = '/img.png') => `<!doctype html><html><head><meta charset="utf-8"><title>bbox</title>
<script src="https://assets.crowd.aws/crowd-html-elements.js"></script></head><body style="margin:8px">
<crowd-form><crowd-bounding-box name="annotatedResult" src="${ORIGIN}${img}"
  header="Draw boxes around the cats and dogs" labels="['Cat', 'Dog', 'Bird']" ${attrs}>
  <full-instructions header="Bounding Box Instructions"><p>Leave a 2-3 pixel margin.</p></full-instructions>
  <short-instructions>Draw boxes around the requested targets.</short-instructions>
</crowd-bounding-box></crowd-form></body></html>`;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

async function open(html, pages = {}) {
  const { page: p, errors } = await openPage(browser.context, { '/box.html': html, '/img.png': SMALL, ...pages });
  await p.addInitScript(READY_PROBE);
  await p.goto(ORIGIN + '/box.html');
  await waitReady(p);
  await p.waitForFunction(() => document.querySelector('crowd-bounding-box')._imgState === 'loaded' && document.querySelector('crowd-bounding-box')._stageSize);
  return { p, errors };
}

// The stage's client rectangle and the current view (scale, offset).
const geometry = (p) => p.evaluate(() => {
  const el = document.querySelector('crowd-bounding-box');
  const r = el.shadowRoot.querySelector('canvas.upper-canvas').getBoundingClientRect();
  return { left: r.left, top: r.top, width: r.width, height: r.height, s: el._view.s, x: el._view.x, y: el._view.y };
});
// Image pixel -> client point, with the view of `g`.
const at = (g, x, y) => ({ x: g.left + g.x + x * g.s, y: g.top + g.y + y * g.s });

async function drag(p, from, to, steps = 8) {
  await p.mouse.move(from.x, from.y);
  await p.mouse.down();
  await p.mouse.move(to.x, to.y, { steps });
  await p.mouse.up();
}

async function submit(p) {
  await p.locator('crowd-bounding-box').evaluate((el) => el.shadowRoot.querySelector('[type="submit"]').click());
  return previewAnswer(p);
}

// Boxes equal up to `tol` pixels (the mouse lands on whole screen pixels).
function assertBoxes(got, want, tol) {
  assert.equal(got.length, want.length, `box count: ${JSON.stringify(got)}`);
  got.forEach((b, i) => {
    const w = want[i];
    assert.deepEqual(Object.keys(b).sort(), ['height', 'label', 'left', 'top', 'width']);
    assert.equal(b.label, w.label);
    for (const k of ['left', 'top', 'width', 'height']) {
      assert.ok(Number.isInteger(b[k]), `${k} is an integer`);
      assert.ok(Math.abs(b[k] - w[k]) <= tol, `box ${i} ${k}: got ${b[k]}, want ${w[k]}`);
    }
  });
}

test('draws boxes with the mouse, labels by key, and submits Ground Truth\'s answer', async () => {
  const { p, errors } = await open(page(''));
  const g = await geometry(p);
  assert.ok(Math.abs(g.width / g.height - 800 / 533) < 0.01, 'the stage has the image\'s aspect ratio');
  // The upper canvas covers exactly the displayed image at fit (§6 row 19).
  assert.ok(Math.abs(g.s * 800 - g.width) < 1.5);
  const tol = Math.ceil(1 / g.s) + 1;
  await drag(p, at(g, 100, 80), at(g, 300, 260));           // Cat (label 1, chosen at start)
  await p.keyboard.press('2');                               // relabels the selected box: Dog
  await p.keyboard.press('Escape');                          // deselect
  await p.keyboard.press('3');
  await drag(p, at(g, 500, 300), at(g, 420, 200));           // drawn right-to-left, bottom-up: Bird
  await p.screenshot({ path: path.join(SCREENSHOTS, 'bbox-drawn.png') });
  const value = await p.evaluate(() => document.querySelector('crowd-bounding-box').value);
  assertBoxes(value.boundingBoxes, [{ label: 'Dog', left: 100, top: 80, width: 200, height: 180 }, { label: 'Bird', left: 420, top: 200, width: 80, height: 100 }], tol);
  const list = await p.evaluate(() => [...document.querySelector('crowd-bounding-box').shadowRoot.querySelectorAll('.shape-list li .lab')].map((e) => e.textContent));
  assert.deepEqual(list, ['Dog', 'Bird'], 'the list shows the boxes');
  const answer = await submit(p);
  assert.deepEqual(Object.keys(answer), ['annotatedResult']);
  assert.deepEqual(Object.keys(answer.annotatedResult), ['boundingBoxes', 'inputImageProperties']);
  assert.deepEqual(answer.annotatedResult.inputImageProperties, { height: 533, width: 800 });
  assertBoxes(answer.annotatedResult.boundingBoxes, value.boundingBoxes, 0);
  assert.deepEqual(errors, []);
});

test('select, move, resize, delete, undo and redo', async () => {
  const { p, errors } = await open(page(''));
  const g = await geometry(p);
  const tol = Math.ceil(1 / g.s) + 1;
  await drag(p, at(g, 100, 100), at(g, 300, 200));
  // Move: drag the box's inside by (+100, +50).
  await drag(p, at(g, 200, 150), at(g, 300, 200));
  let v = await p.evaluate(() => document.querySelector('crowd-bounding-box').value.boundingBoxes);
  assertBoxes(v, [{ label: 'Cat', left: 200, top: 150, width: 200, height: 100 }], tol);
  // Resize: the south-east handle to (450, 300).
  await drag(p, at(g, 400, 250), at(g, 450, 300));
  v = await p.evaluate(() => document.querySelector('crowd-bounding-box').value.boundingBoxes);
  assertBoxes(v, [{ label: 'Cat', left: 200, top: 150, width: 250, height: 150 }], tol);
  // The box cannot leave the image: drag it far to the left and top.
  await drag(p, at(g, 300, 200), { x: g.left - 200, y: g.top - 200 });
  v = await p.evaluate(() => document.querySelector('crowd-bounding-box').value.boundingBoxes);
  assertBoxes(v, [{ label: 'Cat', left: 0, top: 0, width: 250, height: 150 }], 0);
  await p.keyboard.press('Control+z');
  v = await p.evaluate(() => document.querySelector('crowd-bounding-box').value.boundingBoxes);
  assertBoxes(v, [{ label: 'Cat', left: 200, top: 150, width: 250, height: 150 }], tol);
  await p.keyboard.press('Control+Shift+Z');
  v = await p.evaluate(() => document.querySelector('crowd-bounding-box').value.boundingBoxes);
  assertBoxes(v, [{ label: 'Cat', left: 0, top: 0, width: 250, height: 150 }], 0);
  // Nudge with the arrows: 10 right with Shift, 1 down.
  await p.keyboard.press('Shift+ArrowRight');
  await p.keyboard.press('ArrowDown');
  v = await p.evaluate(() => document.querySelector('crowd-bounding-box').value.boundingBoxes);
  assertBoxes(v, [{ label: 'Cat', left: 10, top: 1, width: 250, height: 150 }], 0);
  // A click on empty image deselects; a click on the box selects; Delete removes it.
  await p.mouse.click(at(g, 700, 450).x, at(g, 700, 450).y);
  assert.equal(await p.evaluate(() => document.querySelector('crowd-bounding-box')._selected), -1);
  await p.mouse.click(at(g, 100, 100).x, at(g, 100, 100).y);
  assert.equal(await p.evaluate(() => document.querySelector('crowd-bounding-box')._selected), 0);
  await p.keyboard.press('Delete');
  assert.deepEqual(await p.evaluate(() => document.querySelector('crowd-bounding-box').value.boundingBoxes), []);
  await p.keyboard.press('Control+z');
  assert.equal((await p.evaluate(() => document.querySelector('crowd-bounding-box').value.boundingBoxes)).length, 1);
  assert.deepEqual(errors, []);
});

test('wheel zoom at the pointer keeps image coordinates, and fit restores the view', async () => {
  const { p, errors } = await open(page(''));
  let g = await geometry(p);
  const c = at(g, 400, 260);
  await p.mouse.move(c.x, c.y);
  await p.mouse.wheel(0, -300);
  await p.waitForFunction((s) => document.querySelector('crowd-bounding-box')._view.s > s * 1.3, g.s);
  const g2 = await geometry(p);
  // The image point under the pointer stays under it.
  const back = { x: (c.x - g2.left - g2.x) / g2.s, y: (c.y - g2.top - g2.y) / g2.s };
  assert.ok(Math.abs(back.x - 400) < 1 && Math.abs(back.y - 260) < 1, JSON.stringify(back));
  const tol = Math.ceil(1 / g2.s) + 1;
  await drag(p, at(g2, 380, 240), at(g2, 430, 300));
  const v = await p.evaluate(() => document.querySelector('crowd-bounding-box').value.boundingBoxes);
  assertBoxes(v, [{ label: 'Cat', left: 380, top: 240, width: 50, height: 60 }], tol);
  // Pan with the right button, then fit with "0".
  await p.mouse.move(c.x, c.y);
  await p.mouse.down({ button: 'right' });
  await p.mouse.move(c.x + 60, c.y + 40, { steps: 4 });
  await p.mouse.up({ button: 'right' });
  const g3 = await geometry(p);
  assert.ok(Math.abs(g3.x - g2.x - 60) < 1.5 || g3.x === 0, 'the right button pans');
  await p.keyboard.press('0');
  await p.waitForFunction(() => { const v = document.querySelector('crowd-bounding-box')._view; return v.s === v.fit && v.x === 0; });
  await p.screenshot({ path: path.join(SCREENSHOTS, 'bbox-zoomed.png') });
  assert.deepEqual(errors, []);
});

test('initial-value boxes are editable and initialValueModified follows the changes', async () => {
  const init = [{ label: 'Dog', left: 50, top: 60, width: 100, height: 80 }, { label: 'Cat', left: 300, top: 200, width: 120, height: 90 }];
  const { p, errors } = await open(page(`initial-value="${escapeHtml(JSON.stringify(init))}"`));
  let v = await p.evaluate(() => document.querySelector('crowd-bounding-box').value);
  assert.deepEqual(v, { boundingBoxes: init.map((b) => ({ height: b.height, label: b.label, left: b.left, top: b.top, width: b.width })), inputImageProperties: { height: 533, width: 800 }, initialValueModified: false });
  const g = await geometry(p);
  await drag(p, at(g, 100, 100), at(g, 120, 100));
  v = await p.evaluate(() => document.querySelector('crowd-bounding-box').value);
  assert.equal(v.initialValueModified, true);
  await p.keyboard.press('Control+z');
  v = await p.evaluate(() => document.querySelector('crowd-bounding-box').value);
  assert.equal(v.initialValueModified, false, 'undone back to the initial boxes');
  // value is a fresh copy: changing it does not change the element.
  await p.evaluate(() => { document.querySelector('crowd-bounding-box').value.boundingBoxes[0].label = 'X'; });
  v = await p.evaluate(() => document.querySelector('crowd-bounding-box')._submittableValue);
  assert.equal(v.boundingBoxes[0].label, 'Dog');
  assert.deepEqual(errors, []);
});

test('labels is a settable property that does not touch the attribute', async () => {
  const { p, errors } = await open(page(''));
  await p.evaluate(() => { const el = document.querySelector('crowd-bounding-box'); el.labels = el.labels.concat(['Horse']); });
  const state = await p.evaluate(() => {
    const el = document.querySelector('crowd-bounding-box');
    return { labels: el.labels, attr: el.getAttribute('labels'), buttons: [...el.shadowRoot.querySelectorAll('.label-button')].map((b) => b.dataset.label) };
  });
  assert.deepEqual(state.labels, ['Cat', 'Dog', 'Bird', 'Horse']);
  assert.equal(state.attr, "['Cat', 'Dog', 'Bird']");
  assert.deepEqual(state.buttons, state.labels);
  await p.keyboard.press('4');
  const g = await geometry(p);
  await drag(p, at(g, 10, 10), at(g, 60, 60));
  const v = await p.evaluate(() => document.querySelector('crowd-bounding-box').value.boundingBoxes);
  assert.equal(v[0].label, 'Horse');
  // An empty label list: nothing can be drawn, and the worker is told why.
  await p.evaluate(() => { document.querySelector('crowd-bounding-box').labels = []; });
  await drag(p, at(g, 200, 200), at(g, 260, 260));
  assert.equal((await p.evaluate(() => document.querySelector('crowd-bounding-box').value.boundingBoxes)).length, 1);
  assert.deepEqual(errors, []);
});

frameTimesTest('frame times while dragging on a 4000x3000 image with 200 boxes', async () => {
  BIG = BIG || makePng(4000, 3000);
  const boxes = [];
  for (let i = 0; i < 200; i++) boxes.push({ label: ['Cat', 'Dog', 'Bird'][i % 3], left: 40 + (i % 20) * 195, top: 40 + Math.floor(i / 20) * 290, width: 150, height: 220 });
  const { p, errors } = await open(page(`initial-value="${escapeHtml(JSON.stringify(boxes))}"`, '/big.png'), { '/big.png': BIG });
  const g = await geometry(p);
  const EL = 'crowd-bounding-box';
  const box45 = () => p.evaluate(() => document.querySelector('crowd-bounding-box').value.boundingBoxes[45]);
  // Box 45 dragged by its middle, from wherever it is (a second try drags it on).
  const b = boxes[45];
  const f1 = await withinBudget('drag a box', async () => {
    const now = await box45();
    return frameFigures(await measureFrames(p, EL, async () => {
      const from = at(g, now.left + 70, now.top + 100);
      await p.mouse.move(from.x, from.y);
      await p.mouse.down();
      for (let k = 1; k <= 120; k++) await p.mouse.move(from.x + k * 3, from.y + k * 2);
      await p.mouse.up();
    }));
  }, (f) => f.drawP95 < 16);
  const moved = await box45();
  // Zoomed in 4x at the centre, panning with the middle button (the image layer stays).
  await p.mouse.move(g.left + g.width / 2, g.top + g.height / 2);
  for (let k = 0; k < 4; k++) await p.mouse.wheel(0, -240);
  const gz = await geometry(p);
  const f2 = await withinBudget('pan', async () => frameFigures(await measureFrames(p, EL, async () => {
    await p.mouse.move(g.left + g.width / 2, g.top + g.height / 2);
    await p.mouse.down({ button: 'middle' });
    for (let k = 1; k <= 60; k++) await p.mouse.move(g.left + g.width / 2 - k * 3, g.top + g.height / 2 - k * 2);
    await p.mouse.up({ button: 'middle' });
  })), (f) => f.drawP95 < 16);
  await p.screenshot({ path: path.join(SCREENSHOTS, 'bbox-200-boxes.png') });
  console.log(`# frame times, 4000x3000 image, 200 boxes: drag a box ${JSON.stringify(f1)}; pan at ${Math.round(gz.s * 100)}% ${JSON.stringify(f2)}`);
  assert.ok(moved.left > b.left + 100, 'the box moved');
  assert.ok(f1.frames >= 30, 'frames were drawn while dragging');
  assert.ok(f1.drawP95 < 16, `drag frame p95 ${f1.drawP95} ms`);
  assert.ok(f2.drawP95 < 16, `pan frame p95 ${f2.drawP95} ms`);
  assert.deepEqual(errors, []);
});
