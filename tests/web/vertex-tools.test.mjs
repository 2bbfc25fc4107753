// crowd-polygon, crowd-polyline, crowd-line and crowd-keypoint (spec
// crowd-elements.md §5.6-5.9, §5.12) with real mouse events on a PNG made
// here: drawing, closing and finishing, the crossing rule, vertex and shape
// moves, undo while drawing, initial-value, and each answer in Ground
// Truth's shape.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launch, openPage, ORIGIN, READY_PROBE, waitReady, previewAnswer, SCREENSHOTS, escapeHtml, makePng,
  frameTimesTest, measureFrames, frameFigures, withinBudget } from './lib.mjs';

const IMG = makePng(800, 600);

const page = (tag, attrs) => `<!doctype html><html><head><meta charset="utf-8"><title>${tag}</title>
<script src="https://assets.crowd.aws/crowd-html-elements.js"></script></head><body style="margin:8px">
<crowd-form><${tag} name="annotatedResult" src="${ORIGIN}/img.png" header="Label the image"
  labels="['road', 'lane', 'sign']" ${attrs}>
  <short-instructions>Follow the instructions.</short-instructions>
</${tag}></crowd-form></body></html>`;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

async function open(tag, attrs = '') {
  const { page: p, errors } = await openPage(browser.context, { '/t.html': page(tag, attrs), '/img.png': IMG });
  await p.addInitScript(READY_PROBE);
  await p.goto(ORIGIN + '/t.html');
  await waitReady(p);
  await p.waitForFunction((t) => { const el = document.querySelector(t); return el._imgState === 'loaded' && el._stageSize; }, tag);
  const g = await p.evaluate((t) => {
    const el = document.querySelector(t);
    const r = el.shadowRoot.querySelector('canvas.upper-canvas').getBoundingClientRect();
    return { left: r.left, top: r.top, s: el._view.s };
  }, tag);
  const at = (x, y) => ({ x: g.left + x * g.s, y: g.top + y * g.s });
  const click = async (x, y, opts) => { const q = at(x, y); await p.mouse.click(q.x, q.y, opts); };
  const value = () => p.evaluate((t) => document.querySelector(t).value, tag);
  const tol = Math.ceil(1 / g.s) + 1;
  return { p, errors, at, click, value, tol, g };
}

function near(got, want, tol, what) {
  assert.equal(got.length, want.length, `${what}: ${JSON.stringify(got)}`);
  got.forEach((v, i) => {
    assert.ok(Number.isInteger(v.x) && Number.isInteger(v.y), `${what} integers`);
    assert.ok(Math.abs(v.x - want[i].x) <= tol && Math.abs(v.y - want[i].y) <= tol, `${what}[${i}]: ${JSON.stringify(v)} vs ${JSON.stringify(want[i])}`);
  });
}

async function submit(p, tag) {
  await p.evaluate((t) => document.querySelector(t).shadowRoot.querySelector('[type="submit"]').click(), tag);
  return previewAnswer(p);
}

test('crowd-polygon: a label first, corners by click, closed on the first corner; no crossing edges', async () => {
  const { p, errors, click, value, tol, at } = await open('crowd-polygon');
  // No label is chosen at the start: a click only says so.
  await click(100, 100);
  assert.equal((await value()).polygons.length, 0);
  assert.match(await p.evaluate(() => document.querySelector('crowd-polygon').shadowRoot.querySelector('.status').textContent), /label/i);
  await p.keyboard.press('2');
  const tri = [{ x: 100, y: 100 }, { x: 300, y: 120 }, { x: 200, y: 300 }];
  for (const v of tri) await click(v.x, v.y);
  await p.keyboard.press('Control+z');          // undo while drawing: the last corner goes
  await click(200, 300);
  await click(100, 100);                        // the first corner closes it
  let v = await value();
  assert.equal(v.polygons.length, 1);
  assert.equal(v.polygons[0].label, 'lane');
  near(v.polygons[0].vertices, tri, tol, 'triangle');
  // The label is cleared after a polygon; a bow tie is refused.
  assert.equal(await p.evaluate(() => document.querySelector('crowd-polygon')._currentLabel), null);
  await p.keyboard.press('1');
  for (const q of [{ x: 500, y: 100 }, { x: 700, y: 300 }, { x: 700, y: 100 }]) await click(q.x, q.y);
  await click(500, 300);                        // crosses the first edge: refused
  assert.match(await p.evaluate(() => document.querySelector('crowd-polygon').shadowRoot.querySelector('.status').textContent), /cross/);
  await click(600, 60);
  await p.keyboard.press('Enter');              // Enter closes
  v = await value();
  assert.equal(v.polygons.length, 2);
  near(v.polygons[1].vertices, [{ x: 500, y: 100 }, { x: 700, y: 300 }, { x: 700, y: 100 }, { x: 600, y: 60 }], tol, 'quad');
  assert.deepEqual(v.polygons.map((q) => q.label), ['lane', 'road']);
  // Select the quad on its border, drag its corner, then the triangle by its border.
  await click(600, 200);
  await p.mouse.move(at(700, 100).x, at(700, 100).y);
  await p.mouse.down(); await p.mouse.move(at(740, 60).x, at(740, 60).y, { steps: 5 }); await p.mouse.up();
  v = await value();
  near([v.polygons[1].vertices[2]], [{ x: 740, y: 60 }], tol, 'moved corner');
  await p.mouse.move(at(200, 110).x, at(200, 110).y);   // on the triangle's top edge
  await p.mouse.down(); await p.mouse.move(at(210, 130).x, at(210, 130).y, { steps: 5 }); await p.mouse.up();
  v = await value();
  near(v.polygons[0].vertices, tri.map((q) => ({ x: q.x + 10, y: q.y + 20 })), tol + 1, 'moved triangle');
  await p.screenshot({ path: path.join(SCREENSHOTS, 'polygon.png') });
  const answer = await submit(p, 'crowd-polygon');
  assert.deepEqual(Object.keys(answer.annotatedResult), ['inputImageProperties', 'polygons']);
  assert.deepEqual(answer.annotatedResult.inputImageProperties, { height: 600, width: 800 });
  assert.deepEqual(answer.annotatedResult.polygons, v.polygons);
  assert.deepEqual(errors, []);
});

test('crowd-polyline: Enter finishes; initial-value and initialValueModified', async () => {
  const init = { polylines: [{ label: 'road', vertices: [{ x: 10, y: 500 }, { x: 400, y: 450 }, { x: 790, y: 500 }] }] };
  const { p, errors, click, value, tol } = await open('crowd-polyline', `initial-value="${escapeHtml(JSON.stringify(init))}" label-colors="['#ff0000', '#00ff00', '#0000ff']"`);
  let v = await value();
  assert.deepEqual(v, { inputImageProperties: { height: 600, width: 800 }, polylines: init.polylines, initialValueModified: false });
  await p.keyboard.press('2');
  const pts = [{ x: 100, y: 100 }, { x: 200, y: 150 }, { x: 300, y: 100 }, { x: 250, y: 60 }];
  for (const q of pts) await click(q.x, q.y);
  await p.keyboard.press('Enter');
  v = await value();
  assert.equal(v.polylines.length, 2);
  assert.equal(v.polylines[1].label, 'lane');
  near(v.polylines[1].vertices, pts, tol, 'polyline');
  assert.equal(v.initialValueModified, true);
  // A click on the last point also finishes.
  await click(500, 200); await click(600, 250); await click(600, 250);
  v = await value();
  assert.equal(v.polylines.length, 3);
  near(v.polylines[2].vertices, [{ x: 500, y: 200 }, { x: 600, y: 250 }], tol, 'two-point polyline');
  const colour = await p.evaluate(() => document.querySelector('crowd-polyline').shadowRoot.querySelector('.label-button .swatch').style.background);
  assert.equal(colour, 'rgb(255, 0, 0)', 'label-colors');
  await p.screenshot({ path: path.join(SCREENSHOTS, 'polyline.png') });
  const answer = await submit(p, 'crowd-polyline');
  assert.deepEqual(Object.keys(answer.annotatedResult), ['inputImageProperties', 'polylines', 'initialValueModified']);
  assert.deepEqual(errors, []);
});

test('crowd-line: a drag draws a line; two clicks too; an endpoint moves', async () => {
  const { p, errors, click, value, tol, at } = await open('crowd-line');
  const a = at(100, 100), b = at(400, 300);
  await p.mouse.move(a.x, a.y); await p.mouse.down(); await p.mouse.move(b.x, b.y, { steps: 6 }); await p.mouse.up();
  await p.keyboard.press('Escape');
  await p.keyboard.press('3');
  await click(500, 500); await click(700, 520);
  let v = await value();
  assert.deepEqual(v.lines.map((l) => l.label), ['road', 'sign']);
  near(v.lines[0].vertices, [{ x: 100, y: 100 }, { x: 400, y: 300 }], tol, 'dragged line');
  near(v.lines[1].vertices, [{ x: 500, y: 500 }, { x: 700, y: 520 }], tol, 'clicked line');
  // The second line is selected: move its end.
  await p.mouse.move(at(700, 520).x, at(700, 520).y); await p.mouse.down(); await p.mouse.move(at(760, 580).x, at(760, 580).y, { steps: 4 }); await p.mouse.up();
  v = await value();
  near(v.lines[1].vertices, [{ x: 500, y: 500 }, { x: 760, y: 580 }], tol, 'moved end');
  const answer = await submit(p, 'crowd-line');
  assert.deepEqual(Object.keys(answer.annotatedResult), ['inputImageProperties', 'lines']);
  assert.deepEqual(answer.annotatedResult.lines, v.lines);
  assert.deepEqual(errors, []);
});

test('crowd-keypoint: clicks place points, a drag moves one, unknown initial labels are not drawn', async () => {
  const init = [{ label: 'sign', x: 50, y: 60 }, { label: 'ghost', x: 70, y: 80 }];
  const { p, errors, click, value, tol, at } = await open('crowd-keypoint', `initial-value="${escapeHtml(JSON.stringify(init))}"`);
  await click(200, 200);
  await p.keyboard.press('Escape');             // deselect, so that "2" does not relabel it
  await p.keyboard.press('2');
  await click(300, 250);
  let v = await value();
  assert.deepEqual(v.keypoints.slice(0, 2), init);
  assert.equal(v.keypoints[2].label, 'road');
  assert.equal(v.keypoints[3].label, 'lane');
  assert.ok(Math.abs(v.keypoints[3].x - 300) <= tol && Math.abs(v.keypoints[3].y - 250) <= tol);
  // Drag the first point; the hidden "ghost" point cannot be picked.
  await p.mouse.move(at(50, 60).x, at(50, 60).y); await p.mouse.down(); await p.mouse.move(at(90, 100).x, at(90, 100).y, { steps: 4 }); await p.mouse.up();
  v = await value();
  assert.ok(Math.abs(v.keypoints[0].x - 90) <= tol && Math.abs(v.keypoints[0].y - 100) <= tol, JSON.stringify(v.keypoints[0]));
  assert.equal(v.initialValueModified, true);
  await p.screenshot({ path: path.join(SCREENSHOTS, 'keypoint.png') });
  const answer = await submit(p, 'crowd-keypoint');
  assert.deepEqual(Object.keys(answer.annotatedResult), ['inputImageProperties', 'keypoints', 'initialValueModified']);
  assert.equal(answer.annotatedResult.keypoints.length, 4);
  assert.deepEqual(errors, []);
});

frameTimesTest('frame times while dragging a polygon on a 4000x3000 image with 200 polygons', async () => {
  const polys = [];
  for (let i = 0; i < 200; i++) {
    const l = 40 + (i % 20) * 195, t = 40 + Math.floor(i / 20) * 290, w = 150, h = 220;
    polys.push({ label: ['road', 'lane', 'sign'][i % 3], vertices: [
      { x: l, y: t }, { x: l + w, y: t }, { x: l + w, y: t + h / 2 }, { x: l + w - 20, y: t + h },
      { x: l + 20, y: t + h }, { x: l, y: t + h / 2 }] });
  }
  const html = page('crowd-polygon', `initial-value="${escapeHtml(JSON.stringify(polys))}"`).replace(`${ORIGIN}/img.png`, `${ORIGIN}/big.png`);
  const { page: p, errors } = await openPage(browser.context, { '/t.html': html, '/big.png': makePng(4000, 3000) });
  await p.addInitScript(READY_PROBE);
  await p.goto(ORIGIN + '/t.html');
  await waitReady(p);
  await p.waitForFunction(() => { const el = document.querySelector('crowd-polygon'); return el._imgState === 'loaded' && el._stageSize; });
  const g = await p.evaluate(() => {
    const el = document.querySelector('crowd-polygon');
    const r = el.shadowRoot.querySelector('canvas.upper-canvas').getBoundingClientRect();
    return { left: r.left, top: r.top, width: r.width, height: r.height, s: el._view.s };
  });
  const at = (x, y) => ({ x: g.left + x * g.s, y: g.top + y * g.s });
  const EL = 'crowd-polygon';
  const vertices45 = () => p.evaluate(() => document.querySelector('crowd-polygon').value.polygons[45].vertices);
  // Polygon 45 by its top edge, then one of its corners, from wherever they
  // are (a second try drags them on).
  const q = polys[45].vertices;
  const f1 = await withinBudget('drag a polygon', async () => {
    const v = await vertices45();
    return frameFigures(await measureFrames(p, EL, async () => {
      const from = at((v[0].x + v[1].x) / 2, v[0].y);
      await p.mouse.move(from.x, from.y);
      await p.mouse.down();
      for (let k = 1; k <= 120; k++) await p.mouse.move(from.x + k * 2, from.y + k);
      await p.mouse.up();
    }));
  }, (f) => f.drawP95 < 16);
  const moved = await vertices45();
  const f2 = await withinBudget('drag a corner', async () => {
    const v = await vertices45();
    return frameFigures(await measureFrames(p, EL, async () => {
      const from = at(v[3].x, v[3].y);
      await p.mouse.move(from.x, from.y);
      await p.mouse.down();
      for (let k = 1; k <= 60; k++) await p.mouse.move(from.x + k, from.y + k);
      await p.mouse.up();
    }));
  }, (f) => f.drawP95 < 16);
  await p.screenshot({ path: path.join(SCREENSHOTS, 'polygon-200-polygons.png') });
  console.log(`# frame times, 4000x3000 image, 200 polygons at ${Math.round(g.s * 100)}%: drag a polygon ${JSON.stringify(f1)}; drag a corner ${JSON.stringify(f2)}`);
  const after = await p.evaluate(() => document.querySelector('crowd-polygon').value.polygons[45].vertices);
  assert.ok(moved[0].x > q[0].x + 100 / g.s * 0.8 && moved[0].y > q[0].y + 50, `the polygon moved: ${JSON.stringify(moved[0])}`);
  assert.ok(after[3].x > moved[3].x + 30 / g.s && after[0].x === moved[0].x, 'only the corner moved');
  assert.ok(f1.frames >= 30 && f2.frames >= 15, 'frames were drawn while dragging');
  assert.ok(f1.drawP95 < 16, `polygon drag frame p95 ${f1.drawP95} ms`);
  assert.ok(f2.drawP95 < 16, `corner drag frame p95 ${f2.drawP95} ms`);
  assert.deepEqual(errors, []);
});
