// crowd-semantic-segmentation (spec crowd-elements.md §5.10) with real mouse
// events on a PNG made here: brush, polygon fill, flood fill by colour,
// eraser, undo/redo; the answer's indexed PNG is decoded here (zlib, Up
// filter) and compared with the painted pixels; initial-value reads a mask
// back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import zlib from 'node:zlib';
import { launch, openPage, ORIGIN, READY_PROBE, waitReady, previewAnswer, SCREENSHOTS, escapeHtml, makePng,
  frameTimesTest, measureFrames, frameFigures, withinBudget, pct } from './lib.mjs';

const W = 800, H = 600;
const IMG = makePng(W, H);
const LABELS = ['road', 'car', 'sky'];

const page = (attrs = '') => `<!doctype html><html><head><meta charset="utf-8"><title>seg</title>
<script src="https://assets.crowd.aws/crowd-html-elements.js"></script></head><body style="margin:8px">
<crowd-form><crowd-semantic-segmentation name="crowd-semantic-segmentation" src="${ORIGIN}/img.png"
  header="Paint every region" labels="${escapeHtml(JSON.stringify(LABELS))}" ${attrs}>
  <short-instructions>Paint the road, the cars and the sky.</short-instructions>
</crowd-semantic-segmentation></crowd-form></body></html>`;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

async function open(attrs) {
  const { page: p, errors } = await openPage(browser.context, { '/t.html': page(attrs), '/img.png': IMG });
  await p.addInitScript(READY_PROBE);
  await p.goto(ORIGIN + '/t.html');
  await waitReady(p);
  await p.waitForFunction(() => { const el = document.querySelector('crowd-semantic-segmentation'); return el._mask && el._stageSize; });
  const g = await p.evaluate(() => {
    const el = document.querySelector('crowd-semantic-segmentation');
    const r = el.shadowRoot.querySelector('canvas.upper-canvas').getBoundingClientRect();
    return { left: r.left, top: r.top, s: el._view.s };
  });
  const at = (x, y) => ({ x: g.left + x * g.s, y: g.top + y * g.s });
  return { p, errors, at, g };
}

// The PNG's pixels as palette indices, with its palette and transparency.
function decodeIndexedPng(b64) {
  const buf = Buffer.from(b64, 'base64');
  assert.deepEqual([...buf.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], 'PNG signature');
  let at = 8, ihdr, plte, trns;
  const idat = [];
  while (at < buf.length) {
    const len = buf.readUInt32BE(at), type = buf.toString('ascii', at + 4, at + 8), data = buf.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') ihdr = { w: data.readUInt32BE(0), h: data.readUInt32BE(4), depth: data[8], colour: data[9] };
    if (type === 'PLTE') plte = data;
    if (type === 'tRNS') trns = data;
    if (type === 'IDAT') idat.push(data);
    at += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const { w, h } = ihdr;
  const px = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const f = raw[y * (w + 1)];
    for (let x = 0; x < w; x++) {
      const v = raw[y * (w + 1) + 1 + x];
      const up = y ? px[(y - 1) * w + x] : 0;
      const left = x ? px[y * w + x - 1] : 0;
      px[y * w + x] = f === 0 ? v : f === 1 ? (v + left) & 0xff : f === 2 ? (v + up) & 0xff : assert.fail(`filter ${f}`);
    }
  }
  return { ihdr, plte, trns, px };
}

const hex = (plte, i) => '#' + [...plte.subarray(i * 3, i * 3 + 3)].map((b) => b.toString(16).padStart(2, '0')).join('');
const valueOf = (p) => p.evaluate(() => document.querySelector('crowd-semantic-segmentation').value);

test('brush, polygon fill, flood fill, eraser and undo make the indexed PNG of the answer', async () => {
  const { p, errors, at } = await open();
  // Brush with label 1 along y = 100 from x = 100 to 300 (24 px on screen).
  await p.mouse.move(at(100, 100).x, at(100, 100).y);
  await p.mouse.down();
  await p.mouse.move(at(300, 100).x, at(300, 100).y, { steps: 10 });
  await p.mouse.up();
  // Polygon fill with label 2: a rectangle 400..600 x 300..450.
  await p.keyboard.press('p');
  await p.keyboard.press('2');
  for (const [x, y] of [[400, 300], [600, 300], [600, 450], [400, 450]]) await p.mouse.click(at(x, y).x, at(x, y).y);
  await p.keyboard.press('Enter');
  // Flood fill with label 3 inside the checker square at 64..128 x 448..512.
  await p.keyboard.press('f');
  await p.keyboard.press('3');
  await p.mouse.click(at(90, 480).x, at(90, 480).y);
  await p.screenshot({ path: path.join(SCREENSHOTS, 'segmentation.png') });
  let v = await valueOf(p);
  assert.deepEqual(Object.keys(v), ['inputImageProperties', 'labelMappings', 'labeledImage']);
  assert.deepEqual(v.inputImageProperties, { height: H, width: W });
  assert.deepEqual(v.labelMappings, { road: { color: '#2ca02c' }, car: { color: '#1f77b4' }, sky: { color: '#ff7f0e' } });
  const png = decodeIndexedPng(v.labeledImage.pngImageData);
  assert.deepEqual(png.ihdr, { w: W, h: H, depth: 8, colour: 3 });
  assert.equal(png.trns[0], 0, 'index 0 is transparent');
  assert.deepEqual([1, 2, 3].map((i) => hex(png.plte, i)), ['#2ca02c', '#1f77b4', '#ff7f0e']);
  const px = png.px;
  const count = (k) => px.reduce((n, c) => n + (c === k), 0);
  assert.equal(px[100 * W + 200], 1, 'on the stroke');
  assert.equal(px[130 * W + 200], 0, 'beside the stroke');
  const tol = Math.ceil(1 / (await p.evaluate(() => document.querySelector('crowd-semantic-segmentation')._view.s)));
  const stroke = count(1), rect = count(2), square = count(3);
  assert.ok(Math.abs(rect - 200 * 150) < 200 * 4 * tol + 150 * 4 * tol, `polygon area ${rect}`);
  assert.equal(px[375 * W + 500], 2);
  assert.equal(square, 64 * 64, 'the fill stops at the checker square\'s colour edge');
  assert.equal(px[480 * W + 90], 3);
  assert.ok(stroke > 200 * 20 && stroke < 240 * 40, `stroke area ${stroke}`);
  // The page's own mask is what the PNG holds.
  const mask = Buffer.from(await p.evaluate(() => { const m = document.querySelector('crowd-semantic-segmentation')._mask; let s = ''; for (let i = 0; i < m.length; i += 0x8000) s += String.fromCharCode.apply(null, m.subarray(i, i + 0x8000)); return btoa(s); }), 'base64');
  assert.ok(Buffer.from(px).equals(mask), 'PNG pixels equal the mask');
  // Eraser through the rectangle, then undo it, then redo.
  await p.keyboard.press('e');
  await p.mouse.move(at(380, 375).x, at(380, 375).y);
  await p.mouse.down(); await p.mouse.move(at(620, 375).x, at(620, 375).y, { steps: 8 }); await p.mouse.up();
  const erased = decodeIndexedPng((await valueOf(p)).labeledImage.pngImageData).px;
  assert.equal(erased[375 * W + 500], 0, 'erased');
  await p.keyboard.press('Control+z');
  assert.equal(decodeIndexedPng((await valueOf(p)).labeledImage.pngImageData).px[375 * W + 500], 2, 'undone');
  await p.keyboard.press('Control+Shift+Z');
  assert.equal(decodeIndexedPng((await valueOf(p)).labeledImage.pngImageData).px[375 * W + 500], 0, 'redone');
  const answer = await (async () => {
    await p.evaluate(() => document.querySelector('crowd-semantic-segmentation').shadowRoot.querySelector('[type="submit"]').click());
    return previewAnswer(p);
  })();
  assert.ok(answer['crowd-semantic-segmentation'].labeledImage.pngImageData.length > 100);
  assert.deepEqual(errors, []);
  // The same PNG as initial-value: read back into the mask, unmodified.
  const init = { labelMappings: v.labelMappings, src: `data:image/png;base64,${v.labeledImage.pngImageData}` };
  const again = await open(`initial-value="${escapeHtml(JSON.stringify(init))}"`);
  await again.p.waitForFunction(() => document.querySelector('crowd-semantic-segmentation')._initialVersion !== undefined);
  const v2 = await valueOf(again.p);
  assert.equal(v2.initialValueModified, false);
  assert.ok(Buffer.from(decodeIndexedPng(v2.labeledImage.pngImageData).px).equals(Buffer.from(px)), 'the initial mask is read back');
  assert.deepEqual(again.errors, []);
});

test('crowd-instance-segmentation: each label choice starts an instance with its own colour', async () => {
  const html = page().replaceAll('crowd-semantic-segmentation', 'crowd-instance-segmentation');
  const { page: p, errors } = await openPage(browser.context, { '/i.html': html, '/img.png': IMG });
  await p.addInitScript(READY_PROBE);
  await p.goto(ORIGIN + '/i.html');
  await waitReady(p);
  await p.waitForFunction(() => { const el = document.querySelector('crowd-instance-segmentation'); return el._mask && el._stageSize; });
  const g = await p.evaluate(() => {
    const el = document.querySelector('crowd-instance-segmentation');
    const r = el.shadowRoot.querySelector('canvas.upper-canvas').getBoundingClientRect();
    return { left: r.left, top: r.top, s: el._view.s };
  });
  const at = (x, y) => ({ x: g.left + x * g.s, y: g.top + y * g.s });
  const stroke = async (y) => {
    await p.mouse.move(at(100, y).x, at(100, y).y); await p.mouse.down();
    await p.mouse.move(at(300, y).x, at(300, y).y, { steps: 6 }); await p.mouse.up();
  };
  await stroke(100);                       // no instance yet: nothing painted
  await p.keyboard.press('1'); await stroke(100);   // road #1
  await p.keyboard.press('1'); await stroke(250);   // road #2
  await p.keyboard.press('2'); await stroke(400);   // car #1
  await p.screenshot({ path: path.join(SCREENSHOTS, 'instance-segmentation.png') });
  const v = await p.evaluate(() => document.querySelector('crowd-instance-segmentation').value);
  assert.deepEqual(Object.keys(v), ['inputImageProperties', 'instances', 'labeledImage']);
  assert.deepEqual(v.instances.map((i) => i.label), ['road', 'road', 'car']);
  assert.equal(new Set(v.instances.map((i) => i.color)).size, 3, 'distinct colours');
  const png = decodeIndexedPng(v.labeledImage.pngImageData);
  assert.equal(png.px[100 * W + 200], 1);
  assert.equal(png.px[250 * W + 200], 2);
  assert.equal(png.px[400 * W + 200], 3);
  assert.equal(png.px[500 * W + 200], 0);
  assert.deepEqual([1, 2, 3].map((i) => hex(png.plte, i)), v.instances.map((i) => i.color));
  // Removing the second road instance clears its pixels and renumbers.
  await p.evaluate(() => document.querySelector('crowd-instance-segmentation').shadowRoot.querySelectorAll('.shape-list li .del')[1].click());
  const v2 = await p.evaluate(() => document.querySelector('crowd-instance-segmentation').value);
  assert.deepEqual(v2.instances.map((i) => i.label), ['road', 'car']);
  const png2 = decodeIndexedPng(v2.labeledImage.pngImageData);
  assert.equal(png2.px[250 * W + 200], 0);
  assert.equal(png2.px[400 * W + 200], 2);
  assert.deepEqual(errors, []);
});

frameTimesTest('frame times while painting brush strokes on a 4000x3000 image', async () => {
  const BW = 4000, BH = 3000;
  const html = page().replace(`${ORIGIN}/img.png`, `${ORIGIN}/big.png`);
  const { page: p, errors } = await openPage(browser.context, { '/t.html': html, '/big.png': makePng(BW, BH) });
  await p.addInitScript(READY_PROBE);
  await p.goto(ORIGIN + '/t.html');
  await waitReady(p);
  await p.waitForFunction(() => { const el = document.querySelector('crowd-semantic-segmentation'); return el._mask && el._stageSize; });
  const g = await p.evaluate(() => {
    const el = document.querySelector('crowd-semantic-segmentation');
    const r = el.shadowRoot.querySelector('canvas.upper-canvas').getBoundingClientRect();
    return { left: r.left, top: r.top, width: r.width, height: r.height, s: el._view.s };
  });
  // A new mask's pixel counts are known without a pass over its 12 million
  // pixels, and nothing of the mask's colour layer exists before a label is
  // painted (a canvas the image's size used to be allocated by the first
  // stroke).
  assert.deepEqual(await p.evaluate(() => {
    const el = document.querySelector('crowd-semantic-segmentation');
    return { counted: !!el._counts && el._counts[0] === el._mask.length, tiles: el._tiles.size };
  }), { counted: true, tiles: 0 });
  // In the page: the time each pointer move takes to paint (stamps along the
  // move and the RGBA copy of the changed rectangle) and the start and end of
  // a stroke (the undo copy); the frame clock adds the draws and intervals.
  await p.evaluate(() => {
    const el = document.querySelector('crowd-semantic-segmentation');
    const begin = el._beginCreate.bind(el);
    el._beginCreate = (p0, e) => {
      const t0 = performance.now();
      const r = begin(p0, e);
      window.__paint.begins.push(performance.now() - t0);
      if (r && r.move) {
        const move = r.move, up = r.up;
        r.move = (pt) => { const t = performance.now(); move(pt); window.__paint.moves.push(performance.now() - t); };
        r.up = (...a) => { const t = performance.now(); up(...a); window.__paint.ends.push(performance.now() - t); };
      }
      return r;
    };
  });
  // Five strokes across the image, one label each, then one with the eraser
  // (a second try paints the same strokes again).
  const EL = 'crowd-semantic-segmentation';
  const strokes = [];
  let m, firstStart;
  const f = await withinBudget('paint strokes', async () => {
    await p.evaluate(() => { window.__paint = { moves: [], begins: [], ends: [] }; });
    strokes.length = 0;
    const frames = await measureFrames(p, EL, async () => {
      for (let k = 0; k < 6; k++) {
        await p.keyboard.press(k === 5 ? 'e' : String((k % 3) + 1));
        const from = { x: g.left + 40, y: g.top + 30 + k * (g.height - 60) / 6 };
        await p.mouse.move(from.x, from.y);
        await p.mouse.down();
        for (let i = 1; i <= 60; i++) await p.mouse.move(from.x + i * (g.width - 80) / 60, from.y + 20 * Math.sin(i / 6));
        await p.mouse.up();
        strokes.push(from);
      }
    });
    m = { ...(await p.evaluate(() => window.__paint)), ...frames };
    firstStart ??= m.begins[0];
    const r2 = (x) => +x.toFixed(2);
    return {
      moves: m.moves.length, paintP50: r2(pct(m.moves, 0.5)), paintP95: r2(pct(m.moves, 0.95)), paintMax: r2(Math.max(...m.moves)),
      ...frameFigures(frames), strokeStartMax: r2(Math.max(...m.begins)), strokeEndMax: r2(Math.max(...m.ends)),
    };
  }, (f) => f.paintP95 + f.drawP95 < 16);
  await p.screenshot({ path: path.join(SCREENSHOTS, 'segmentation-4000x3000-strokes.png') });
  console.log(`# stroke starts ${m.begins.map((x) => x.toFixed(1))} ends ${m.ends.map((x) => x.toFixed(1))}`);
  console.log(`# frame times, 4000x3000 image, brush ${await p.evaluate(() => document.querySelector('crowd-semantic-segmentation')._brush)} px at ${Math.round(g.s * 100)}%: ${JSON.stringify(f)}`);
  // The strokes were painted: the first with road, the eraser's cleared the sixth row.
  const at = (x, y) => ({ x: Math.round((x - g.left) / g.s), y: Math.round((y - g.top) / g.s) });
  const painted = await p.evaluate(([a, b]) => {
    const el = document.querySelector('crowd-semantic-segmentation');
    return [el._mask[a.y * el._maskW + a.x], el._mask[b.y * el._maskW + b.x]];
  }, [at(strokes[0].x + 2, strokes[0].y), at(strokes[5].x + 2, strokes[5].y)]);
  assert.deepEqual(painted, [1, 0]);
  assert.equal(m.moves.length, 6 * 60);
  // The list's pixel counts, kept up to date change by change, equal a
  // recount, after the strokes and after undoing two of them.
  const counts = () => p.evaluate(() => {
    const el = document.querySelector('crowd-semantic-segmentation');
    const kept = [...el._maskCounts()].slice(0, 4);
    const fresh = [0, 0, 0, 0];
    for (const v of el._mask) fresh[v]++;
    return { kept, fresh, list: [...el.shadowRoot.querySelectorAll('.shape-list li .geom')].map((e) => e.textContent) };
  });
  let c = await counts();
  assert.deepEqual(c.kept, c.fresh);
  assert.ok(c.fresh[1] > 0 && c.fresh[2] > 0 && c.fresh[3] > 0, JSON.stringify(c));
  await p.keyboard.press('Control+z');
  await p.keyboard.press('Control+z');
  c = await counts();
  assert.deepEqual(c.kept, c.fresh);
  assert.deepEqual(c.list, [1, 2, 3].map((k) => `${((100 * c.fresh[k]) / (BW * BH)).toFixed(1)}%`));
  assert.ok(f.paintP95 + f.drawP95 < 16, `a move's paint p95 ${f.paintP95} ms + draw p95 ${f.drawP95} ms`);
  // The first stroke starts as fast as the others do, give or take a loaded
  // machine (it took 0.2-0.7 s when its first paint allocated the colour
  // layer of the whole image).
  assert.ok(firstStart < 150, `the first stroke's start took ${firstStart.toFixed(1)} ms`);
  assert.deepEqual(errors, []);
});
