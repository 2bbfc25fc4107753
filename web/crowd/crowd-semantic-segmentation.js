/*
 * <crowd-semantic-segmentation>: paint a label on every pixel of an image
 * (spec crowd-elements.md §5.10). Output:
 *   { "<name>": { "inputImageProperties": { "height", "width" },
 *                 "labelMappings": { "<label>": { "color": "#rrggbb" } },
 *                 "labeledImage": { "pngImageData": "<base64 PNG>" },
 *                 "initialValueModified"?: bool } }
 * The PNG has the image's size and is indexed (colour type 3): palette entry
 * 0 is unlabeled (white, fully transparent through tRNS), entry i + 1 is
 * label i's colour, as labelMappings gives it (Ground Truth's palette order).
 * `initial-value`: { labelMappings: { "<label>": { color } }, src: "<PNG URL>" }
 * (a mask to adjust: each pixel's colour names its label).
 *
 * Tools (toolbar or keys): brush (B), eraser (E), polygon fill (P: click the
 * corners, Enter or the first corner fills), fill (F: fills the connected
 * region of similar image colour, or, when the image's pixels cannot be read
 * (a cross-origin image), the connected region of the same label). [ and ]
 * change the brush size. Undo/redo keep the pixels each stroke changed.
 * The common tool UI (zoom, pan, labels, keys) is in image-tool.js.
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];
  const clamp = P.clamp;

  // ------------------------------------------------------- PNG encoding
  const CRC = new Int32Array(256).map((_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c; });
  const crc32 = (bytes, c = -1) => { for (let i = 0; i < bytes.length; i++) c = CRC[(c ^ bytes[i]) & 0xff] ^ (c >>> 8); return c; };
  const LEN_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
  const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];

  // zlib stream of `data` (one fixed-Huffman deflate block; runs become
  // distance-1 matches, which is what masks are made of).
  function zlibRuns(data) {
    let out = new Uint8Array(1024 + (data.length >> 3));
    let pos = 0, bit = 0, acc = 0;
    const grow = () => { const n = new Uint8Array(out.length * 2); n.set(out); out = n; };
    const bits = (v, n) => { // LSB first
      acc |= v << bit; bit += n;
      while (bit >= 8) { if (pos >= out.length) grow(); out[pos++] = acc & 0xff; acc >>>= 8; bit -= 8; }
    };
    const huff = (code, n) => { let r = 0; for (let i = 0; i < n; i++) r = (r << 1) | ((code >> i) & 1); bits(r, n); }; // MSB first
    const lit = (v) => {
      if (v < 144) huff(0x30 + v, 8);
      else if (v < 256) huff(0x190 + v - 144, 9);
      else if (v < 280) huff(v - 256, 7);
      else huff(0xc0 + v - 280, 8);
    };
    const match = (len) => {
      let k = LEN_BASE.length - 1;
      while (LEN_BASE[k] > len) k--;
      lit(257 + k);
      if (LEN_EXTRA[k]) bits(len - LEN_BASE[k], LEN_EXTRA[k]);
      huff(0, 5); // distance 1
    };
    out[pos++] = 0x78; out[pos++] = 0x01;
    bits(1, 1); bits(1, 2); // final block, fixed Huffman
    const n = data.length;
    for (let i = 0; i < n;) {
      if (i > 0 && data[i] === data[i - 1]) {
        const v = data[i - 1];
        let j = i;
        while (j < n && j - i < 258 && data[j] === v) j++;
        if (j - i >= 3) { match(j - i); i = j; continue; }
      }
      lit(data[i++]);
    }
    lit(256);
    if (bit) bits(0, 8 - bit);
    let a = 1, b = 0;
    for (let i = 0; i < n;) { const end = Math.min(n, i + 5552); for (; i < end; i++) { a += data[i]; b += a; } a %= 65521; b %= 65521; }
    const adler = ((b << 16) | a) >>> 0;
    while (pos + 4 > out.length) grow();
    out[pos++] = adler >>> 24; out[pos++] = (adler >>> 16) & 0xff; out[pos++] = (adler >>> 8) & 0xff; out[pos++] = adler & 0xff;
    return out.subarray(0, pos);
  }

  // An indexed PNG of w x h from class indices; palette: [[r, g, b]...],
  // entry 0 transparent.
  P.encodeIndexedPng = function encodeIndexedPng(w, h, indices, palette) {
    const raw = new Uint8Array((w + 1) * h);
    for (let y = 0; y < h; y++) {
      const o = y * (w + 1), s = y * w;
      // Filter "Up" (2) below the first row: unchanged columns become zeros.
      if (y === 0) { raw[o] = 0; raw.set(indices.subarray(0, w), 1); continue; }
      raw[o] = 2;
      for (let x = 0; x < w; x++) raw[o + 1 + x] = (indices[s + x] - indices[s - w + x]) & 0xff;
    }
    const chunks = [];
    const chunk = (type, data) => {
      const head = new Uint8Array(8);
      new DataView(head.buffer).setUint32(0, data.length);
      for (let i = 0; i < 4; i++) head[4 + i] = type.charCodeAt(i);
      const c = crc32(data, crc32(head.subarray(4)));
      const tail = new Uint8Array(4);
      new DataView(tail.buffer).setUint32(0, (c ^ -1) >>> 0);
      chunks.push(head, data, tail);
    };
    const ihdr = new Uint8Array(13);
    const dv = new DataView(ihdr.buffer);
    dv.setUint32(0, w); dv.setUint32(4, h); ihdr[8] = 8; ihdr[9] = 3;
    chunks.push(new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]));
    chunk('IHDR', ihdr);
    chunk('PLTE', new Uint8Array(palette.flat()));
    chunk('tRNS', new Uint8Array([0]));
    chunk('IDAT', zlibRuns(raw));
    chunk('IEND', new Uint8Array(0));
    let len = 0;
    for (const c of chunks) len += c.length;
    const png = new Uint8Array(len);
    let at = 0;
    for (const c of chunks) { png.set(c, at); at += c.length; }
    return png;
  };
  const base64 = (bytes) => {
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(s);
  };
  const rgbOf = (hex) => { const h = String(hex).replace('#', ''); const f = h.length === 3 ? h.split('').map((c) => c + c).join('') : h; return [parseInt(f.slice(0, 2), 16), parseInt(f.slice(2, 4), 16), parseInt(f.slice(4, 6), 16)]; };

  // The mask's colours are drawn from tiles of TILE x TILE pixels, each
  // with its canvas made the first time it holds a labeled pixel, written
  // through one TILE x TILE RGBA buffer. One canvas the size of the image
  // (48 MB at 4000x3000, and as much again for its RGBA copy) had its memory
  // allocated by the first putImageData, that of the worker's first brush
  // stroke: 0.4-0.7 s.
  const TILE = 512;
  const TOOLS = [['brush', 'B', 'Brush'], ['eraser', 'E', 'Eraser'], ['polygon', 'P', 'Polygon fill'], ['fill', 'F', 'Fill']];

  class CrowdSemanticSegmentation extends P.ImageToolElement {
    constructor() {
      super();
      this._tool = 'brush';
      this._brush = 24; // screen px diameter
      this._opacity = 0.55;
      this._mask = null; // Uint8Array, class index + 1 per pixel
      this._version = 0;
      this.addEventListener('imageload', () => this._allocMask());
    }
    get _listTitle() { return 'Coverage'; }
    get _hint() { return 'Paint each region with its label'; }
    get _extraCss() { return '.toolbar input[type=range] { width: 90px; } .toolbar label { font-size: 12px; color: var(--_muted); display: inline-flex; align-items: center; gap: 4px; }'; }
    get _shortcutRows() {
      return '<li><kbd>B</kbd> <kbd>E</kbd> <kbd>P</kbd> <kbd>F</kbd></li><li>Brush, eraser, polygon fill, fill</li>' +
        '<li><kbd>[</kbd> <kbd>]</kbd></li><li>Smaller, larger brush</li><li><kbd>Enter</kbd></li><li>Fill the polygon</li>';
    }
    _toolButtons() {
      return TOOLS.map(([id, key, title]) => `<button type="button" class="btn tool" data-tool="${id}" title="${title} (${key})" aria-pressed="${id === this._tool}">${title}</button>`).join('') +
        `<label>Size <input type="range" class="brush-size" min="2" max="200" value="${this._brush}" aria-label="Brush size"></label>` +
        `<label>Opacity <input type="range" class="mask-opacity" min="10" max="100" value="${Math.round(this._opacity * 100)}" aria-label="Mask opacity"></label>`;
    }
    _wireToolButtons(sr) {
      sr.querySelectorAll('.tool').forEach((b) => b.addEventListener('click', () => this._setTool(b.dataset.tool)));
      sr.querySelector('.brush-size').addEventListener('input', (e) => { this._brush = Number(e.target.value); this._requestDraw(); });
      sr.querySelector('.mask-opacity').addEventListener('input', (e) => { this._opacity = Number(e.target.value) / 100; this._requestDraw(); });
    }
    _setTool(t) {
      this._tool = t;
      this._polygon = null;
      this.shadowRoot.querySelectorAll('.tool').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.tool === t)));
      this._requestDraw();
    }
    _toolKey(e) {
      const k = e.key.toLowerCase();
      const t = TOOLS.find(([, key]) => key.toLowerCase() === k);
      if (t && !e.shiftKey) { this._setTool(t[0]); return true; }
      if (e.key === '[' || e.key === ']') {
        this._brush = clamp(Math.round(this._brush * (e.key === ']' ? 1.25 : 0.8)), 2, 200);
        const r = this.shadowRoot.querySelector('.brush-size');
        if (r) r.value = this._brush;
        this._requestDraw();
        return true;
      }
      if (e.key === 'Enter' && this._polygon) { this._fillPolygon(); return true; }
      return false;
    }

    // --------------------------------------------------------- the mask
    _allocMask() {
      const { width: w, height: h } = this._natural;
      if (!this._mask || this._maskW !== w || this._maskH !== h) {
        this._mask = new Uint8Array(w * h);
        this._maskW = w; this._maskH = h;
        this._counts = this._unlabeledCounts();
        this._tiles = new Map(); // ty * _tilesX + tx -> { canvas, ctx }
        this._tilesX = Math.ceil(w / TILE);
        this._undo = []; this._redo = [];
      }
      this._loadInitialMask();
    }
    _palette() {
      const pal = [[255, 255, 255]];
      for (const l of this.labels) pal.push(rgbOf(this._colorOf(l)));
      return pal;
    }
    // The tile (tx, ty); made when `make` and there is none yet.
    _tile(tx, ty, make) {
      const key = ty * this._tilesX + tx;
      let t = this._tiles.get(key);
      if (!t && make) {
        const canvas = document.createElement('canvas');
        canvas.width = Math.min(TILE, this._maskW - tx * TILE);
        canvas.height = Math.min(TILE, this._maskH - ty * TILE);
        t = { canvas, ctx: canvas.getContext('2d') };
        this._tiles.set(key, t);
      }
      return t;
    }
    // Repaints the tiles' RGBA copy of the mask in a rectangle. A tile with
    // no canvas yet is all unlabeled: it gets one only once it holds a label.
    _flush(x0, y0, x1, y1) {
      x0 = clamp(Math.floor(x0), 0, this._maskW); y0 = clamp(Math.floor(y0), 0, this._maskH);
      x1 = clamp(Math.ceil(x1), 0, this._maskW); y1 = clamp(Math.ceil(y1), 0, this._maskH);
      if (x1 <= x0 || y1 <= y0) return;
      const pal = this._palette();
      const m = this._mask, w = this._maskW;
      this._rgba ||= new ImageData(TILE, TILE);
      const d = this._rgba.data;
      for (let ty = Math.floor(y0 / TILE); ty * TILE < y1; ty++) {
        for (let tx = Math.floor(x0 / TILE); tx * TILE < x1; tx++) {
          const ax = Math.max(x0, tx * TILE), bx = Math.min(x1, tx * TILE + TILE);
          const ay = Math.max(y0, ty * TILE), by = Math.min(y1, ty * TILE + TILE);
          let t = this._tile(tx, ty, false);
          if (!t) {
            let labeled = false;
            for (let y = ay; y < by && !labeled; y++) {
              for (let i = y * w + ax, e = y * w + bx; i < e; i++) if (m[i]) { labeled = true; break; }
            }
            if (!labeled) continue;
            t = this._tile(tx, ty, true);
          }
          // The rectangle's pixels, all of them, at their place in the tile.
          for (let y = ay; y < by; y++) {
            for (let i = y * w + ax, e = y * w + bx, o = ((y - ty * TILE) * TILE + ax - tx * TILE) * 4; i < e; i++, o += 4) {
              const c = m[i];
              if (!c) { d[o + 3] = 0; continue; }
              const p = pal[c] || [0, 0, 0];
              d[o] = p[0]; d[o + 1] = p[1]; d[o + 2] = p[2]; d[o + 3] = 255;
            }
          }
          t.ctx.putImageData(this._rgba, 0, 0, ax - tx * TILE, ay - ty * TILE, bx - ax, by - ay);
        }
      }
      this._version++;
      this._requestDraw();
    }
    set labels(v) { super.labels = v; if (this._mask) this._flush(0, 0, this._maskW, this._maskH); }
    get labels() { return super.labels; }

    // A change of the pixels in [x0, x1) x [y0, y1): `paint` changes
    // this._mask; the rectangle's pixels before and after are kept for undo.
    _edit(x0, y0, x1, y1, paint) {
      x0 = clamp(Math.floor(x0), 0, this._maskW); y0 = clamp(Math.floor(y0), 0, this._maskH);
      x1 = clamp(Math.ceil(x1), 0, this._maskW); y1 = clamp(Math.ceil(y1), 0, this._maskH);
      if (x1 <= x0 || y1 <= y0) return;
      const patch = { x0, y0, x1, y1, before: this._copyRect(x0, y0, x1, y1) };
      paint();
      patch.after = this._copyRect(x0, y0, x1, y1);
      const a = patch.after, b = patch.before;
      let same = true;
      for (let i = 0; i < a.length && same; i++) same = a[i] === b[i];
      if (same) return;
      this._count(b, a);
      this._undo.push(patch);
      if (this._undo.length > 50) this._undo.shift();
      this._redo = [];
      this._flush(x0, y0, x1, y1);
      this._afterChange();
    }
    // Pixels per mask value, for the list: counted over the mask once, then
    // kept up to date from each change's pixels before and after (a stroke's
    // end no longer recounts 12 million pixels).
    // A mask all unlabeled: every pixel counted at 0, without a pass over
    // the mask (which took 0.25 s of the first stroke's end at 4000x3000).
    _unlabeledCounts() {
      const counts = new Float64Array(256);
      counts[0] = this._maskW * this._maskH;
      return counts;
    }
    _maskCounts() {
      if (!this._counts) {
        const counts = new Float64Array(256), m = this._mask;
        if (m) for (let i = 0; i < m.length; i++) counts[m[i]]++;
        this._counts = counts;
      }
      return this._counts;
    }
    _count(before, after) {
      const c = this._counts;
      if (!c) return;
      for (let i = 0; i < before.length; i++) { c[before[i]]--; c[after[i]]++; }
    }
    _copyRect(x0, y0, x1, y1) {
      const w = x1 - x0, out = new Uint8Array(w * (y1 - y0));
      for (let y = y0; y < y1; y++) out.set(this._mask.subarray(y * this._maskW + x0, y * this._maskW + x1), (y - y0) * w);
      return out;
    }
    _setRect(x0, y0, x1, y1, data) {
      const w = x1 - x0;
      for (let y = y0; y < y1; y++) this._mask.set(data.subarray((y - y0) * w, (y - y0 + 1) * w), y * this._maskW + x0);
    }
    _putRect(p, data) {
      this._setRect(p.x0, p.y0, p.x1, p.y1, data);
      this._flush(p.x0, p.y0, p.x1, p.y1);
    }
    _undoStep() {
      if (this._cancelCreate(true)) return;
      const p = this._undo.pop();
      if (!p) return;
      this._putRect(p, p.before);
      this._count(p.after, p.before);
      this._redo.push(p);
      this._afterChange();
    }
    _redoStep() {
      const p = this._redo.pop();
      if (!p) return;
      this._putRect(p, p.after);
      this._count(p.before, p.after);
      this._undo.push(p);
      this._afterChange();
    }
    _afterChange() {
      this._pngCache = null;
      this._renderList();
      this.dispatchEvent(new Event('change', { bubbles: true }));
    }

    // ---------------------------------------------------------- painting
    get _paintValue() { return this._tool === 'eraser' ? 0 : this._labelIndex + 1; }
    _drawing() { return !!this._polygon; }
    _hitAt() { return null; }
    get _currentLabel() { return this._tool === 'eraser' ? 'eraser' : super._currentLabel; }

    // A disc of v; save(y, xa, xb), when given, runs before a row's span is
    // painted.
    _stamp(cx, cy, r, v, save) {
      const m = this._mask, w = this._maskW;
      const y0 = Math.max(0, Math.floor(cy - r)), y1 = Math.min(this._maskH - 1, Math.ceil(cy + r));
      for (let y = y0; y <= y1; y++) {
        const dy = y + 0.5 - cy, half = Math.sqrt(Math.max(0, r * r - dy * dy));
        const xa = Math.max(0, Math.round(cx - half)), xb = Math.min(w, Math.round(cx + half));
        if (xb <= xa) continue;
        if (save) save(y, xa, xb);
        m.fill(v, y * w + xa, y * w + xb);
      }
    }

    _beginCreate(p0, e) {
      if (!this._mask) return null;
      if (this._tool === 'fill') { this._floodFill(p0); return null; }
      if (this._tool === 'polygon') return this._polygonClick(p0);
      // Brush and eraser: one stroke is one undo step. The pixels it changes
      // are kept a 64x64 tile at a time, before the stroke first paints in a
      // tile, not as a copy of the whole mask when the stroke starts (12 MB
      // for a 4000x3000 image).
      const r = this._brush / 2 / this._view.s;
      const v = this._paintValue;
      const T = 64, tilesX = Math.ceil(this._maskW / T);
      const saved = new Map(); // tile index -> its pixels before the stroke
      const save = (y, xa, xb) => {
        const ty = Math.floor(y / T);
        for (let tx = Math.floor(xa / T), last = Math.floor((xb - 1) / T); tx <= last; tx++) {
          const key = ty * tilesX + tx;
          if (!saved.has(key)) saved.set(key, this._copyRect(tx * T, ty * T, Math.min(this._maskW, tx * T + T), Math.min(this._maskH, ty * T + T)));
        }
      };
      const restore = () => {
        for (const [key, data] of saved) {
          const tx = key % tilesX, ty = Math.floor(key / tilesX);
          this._setRect(tx * T, ty * T, Math.min(this._maskW, tx * T + T), Math.min(this._maskH, ty * T + T), data);
        }
      };
      let last = p0;
      const box = { x0: p0.x - r, y0: p0.y - r, x1: p0.x + r, y1: p0.y + r };
      const along = (a, b) => {
        const steps = Math.max(1, Math.ceil(Math.hypot(b.x - a.x, b.y - a.y) / Math.max(0.5, r / 2)));
        for (let k = 1; k <= steps; k++) this._stamp(a.x + ((b.x - a.x) * k) / steps, a.y + ((b.y - a.y) * k) / steps, r, v, save);
        const x0 = Math.min(a.x, b.x) - r, y0 = Math.min(a.y, b.y) - r, x1 = Math.max(a.x, b.x) + r, y1 = Math.max(a.y, b.y) + r;
        box.x0 = Math.min(box.x0, x0); box.y0 = Math.min(box.y0, y0); box.x1 = Math.max(box.x1, x1); box.y1 = Math.max(box.y1, y1);
        this._flush(x0 - 1, y0 - 1, x1 + 1, y1 + 1);
      };
      this._stamp(p0.x, p0.y, r, v, save);
      this._flush(box.x0 - 1, box.y0 - 1, box.x1 + 1, box.y1 + 1);
      const finish = () => {
        const x0 = clamp(Math.floor(box.x0 - 1), 0, this._maskW), y0 = clamp(Math.floor(box.y0 - 1), 0, this._maskH);
        const x1 = clamp(Math.ceil(box.x1 + 1), 0, this._maskW), y1 = clamp(Math.ceil(box.y1 + 1), 0, this._maskH);
        const after = this._copyRect(x0, y0, x1, y1);
        restore();
        this._edit(x0, y0, x1, y1, () => this._setRect(x0, y0, x1, y1, after));
      };
      return {
        move: (pt) => { const q = this._clampPoint(pt); along(last, q); last = q; this._cursor = q; },
        up: finish,
        cancel: () => { restore(); this._flush(box.x0 - 1, box.y0 - 1, box.x1 + 1, box.y1 + 1); },
      };
    }

    _polygonClick(p0) {
      return {
        move: () => {},
        up: () => {
          if (!this._polygon) { this._polygon = [p0]; this._requestDraw(); return; }
          const f = this._polygon[0];
          if (this._polygon.length >= 3 && Math.hypot(p0.x - f.x, p0.y - f.y) <= this._tol()) { this._fillPolygon(); return; }
          this._polygon.push(p0);
          this._requestDraw();
        },
        cancel: () => {},
      };
    }
    _fillPolygon() {
      const vs = this._polygon;
      this._polygon = null;
      if (!vs || vs.length < 3) { this._requestDraw(); return; }
      const v = this._paintValue;
      const xs = vs.map((p) => p.x), ys = vs.map((p) => p.y);
      const y0 = Math.floor(Math.min(...ys)), y1 = Math.ceil(Math.max(...ys));
      this._edit(Math.min(...xs) - 1, y0 - 1, Math.max(...xs) + 1, y1 + 1, () => {
        // Scan lines through pixel centres, even-odd rule.
        for (let y = Math.max(0, y0); y < Math.min(this._maskH, y1 + 1); y++) {
          const cy = y + 0.5, cuts = [];
          for (let i = 0, j = vs.length - 1; i < vs.length; j = i++) {
            const a = vs[i], b = vs[j];
            if ((a.y > cy) !== (b.y > cy)) cuts.push(a.x + ((cy - a.y) * (b.x - a.x)) / (b.y - a.y));
          }
          cuts.sort((p, q) => p - q);
          for (let k = 0; k + 1 < cuts.length; k += 2) {
            const xa = clamp(Math.round(cuts[k]), 0, this._maskW), xb = clamp(Math.round(cuts[k + 1]), 0, this._maskW);
            if (xb > xa) this._mask.fill(v, y * this._maskW + xa, y * this._maskW + xb);
          }
        }
      });
      this._requestDraw();
    }

    // The image's pixels, when the browser lets them be read.
    _imagePixels() {
      if (this._pixels !== undefined) return this._pixels;
      try {
        const c = document.createElement('canvas');
        c.width = this._maskW; c.height = this._maskH;
        const ctx = c.getContext('2d', { willReadFrequently: true });
        ctx.drawImage(this._img, 0, 0);
        this._pixels = ctx.getImageData(0, 0, c.width, c.height).data;
      } catch (err) {
        this._pixels = null; // a cross-origin image: its pixels are not readable
      }
      return this._pixels;
    }
    _floodFill(p) {
      const w = this._maskW, h = this._maskH;
      const sx = clamp(Math.floor(p.x), 0, w - 1), sy = clamp(Math.floor(p.y), 0, h - 1);
      const m = this._mask, v = this._paintValue, px = this._imagePixels();
      const seed = sy * w + sx;
      const tolerance = 40;
      const same = px
        ? (i) => Math.abs(px[i * 4] - px[seed * 4]) + Math.abs(px[i * 4 + 1] - px[seed * 4 + 1]) + Math.abs(px[i * 4 + 2] - px[seed * 4 + 2]) <= tolerance
        : (i) => m[i] === m[seed];
      const seen = new Uint8Array(w * h);
      const stack = [seed];
      seen[seed] = 1;
      let x0 = sx, y0 = sy, x1 = sx, y1 = sy;
      const fill = [];
      while (stack.length) {
        const i = stack.pop();
        fill.push(i);
        const x = i % w, y = (i - x) / w;
        if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
        if (x > 0 && !seen[i - 1] && same(i - 1)) { seen[i - 1] = 1; stack.push(i - 1); }
        if (x + 1 < w && !seen[i + 1] && same(i + 1)) { seen[i + 1] = 1; stack.push(i + 1); }
        if (y > 0 && !seen[i - w] && same(i - w)) { seen[i - w] = 1; stack.push(i - w); }
        if (y + 1 < h && !seen[i + w] && same(i + w)) { seen[i + w] = 1; stack.push(i + w); }
      }
      this._edit(x0, y0, x1 + 1, y1 + 1, () => { for (const i of fill) m[i] = v; });
      this._status(px ? '' : 'Filled the connected region of the same label (the image\'s colours cannot be read here).');
    }

    _cancelCreate(undo) {
      if (!this._polygon) return false;
      if (undo && this._polygon.length > 1) this._polygon.pop(); else this._polygon = null;
      this._requestDraw();
      return true;
    }
    _onHover(pt) { this._cursor = this._clampPoint(pt); this._requestDraw(); }

    _drawPending(ctx, st) {
      if (!this._tiles) return;
      const v = this._view, dpr = window.devicePixelRatio || 1;
      const { w, h } = this._stageSize || { w: 0, h: 0 };
      const x0 = Math.max(0, Math.floor(-v.x / v.s)), y0 = Math.max(0, Math.floor(-v.y / v.s));
      const x1 = Math.min(this._maskW, Math.ceil((w - v.x) / v.s)), y1 = Math.min(this._maskH, Math.ceil((h - v.y) / v.s));
      ctx.save();
      ctx.globalAlpha = this._opacity;
      ctx.imageSmoothingEnabled = false;
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      // Each tile's visible part, its edges on whole device pixels: tiles
      // side by side meet without a seam or an overlap.
      const px = (x) => Math.round(dpr * (v.x + x * v.s)), py = (y) => Math.round(dpr * (v.y + y * v.s));
      for (const [key, t] of this._tiles) {
        const tx = key % this._tilesX, ty = Math.floor(key / this._tilesX);
        const ax = Math.max(x0, tx * TILE), bx = Math.min(x1, tx * TILE + t.canvas.width);
        const ay = Math.max(y0, ty * TILE), by = Math.min(y1, ty * TILE + t.canvas.height);
        if (bx <= ax || by <= ay) continue;
        const dx = px(ax), dy = py(ay);
        ctx.drawImage(t.canvas, ax - tx * TILE, ay - ty * TILE, bx - ax, by - ay, dx, dy, px(bx) - dx, py(by) - dy);
      }
      ctx.restore();
      const color = this._tool === 'eraser' ? '#ffffff' : this._colorOf(this._currentLabel);
      if (this._polygon) {
        const vs = this._cursor ? this._polygon.concat([this._cursor]) : this._polygon;
        ctx.beginPath();
        vs.forEach((p, i) => (i ? ctx.lineTo(st.sx(p.x), st.sy(p.y)) : ctx.moveTo(st.sx(p.x), st.sy(p.y))));
        ctx.strokeStyle = color; ctx.lineWidth = 2; ctx.setLineDash([6, 4]); ctx.stroke(); ctx.setLineDash([]);
      } else if (this._cursor && (this._tool === 'brush' || this._tool === 'eraser')) {
        ctx.beginPath();
        ctx.arc(st.sx(this._cursor.x), st.sy(this._cursor.y), this._brush / 2, 0, Math.PI * 2);
        ctx.strokeStyle = color; ctx.lineWidth = 1.5; ctx.stroke();
      }
    }

    // ------------------------------------------------ list and output
    _renderList() {
      const ul = this.shadowRoot.querySelector('.shape-list');
      if (!ul) return;
      this.shadowRoot.querySelector('.shape-title').textContent = this._listTitle;
      const counts = this._maskCounts();
      const total = this._mask ? this._mask.length : 1;
      ul.replaceChildren();
      this.labels.forEach((l, i) => {
        const li = document.createElement('li');
        li.innerHTML = '<span class="swatch"></span><span class="lab"></span><span class="geom"></span>';
        li.querySelector('.swatch').style.background = this._colorOf(l);
        li.querySelector('.lab').textContent = l;
        li.querySelector('.geom').textContent = `${((100 * counts[i + 1]) / total).toFixed(1)}%`;
        ul.appendChild(li);
      });
      const sr = this.shadowRoot;
      sr.querySelector('.undo').disabled = !this._undo.length;
      sr.querySelector('.redo').disabled = !this._redo.length;
      sr.querySelector('.delete').hidden = true;
    }
    _applyInitialValue() {
      this._hasInitial = this.hasAttribute('initial-value');
      if (this._mask) this._loadInitialMask();
    }
    // Mask value by "r,g,b" of the initial value's colours.
    _initialColours(v) {
      const byColour = new Map();
      for (const [label, m] of Object.entries(v.labelMappings || {})) {
        const i = this.labels.indexOf(label);
        if (i >= 0 && m && m.color) byColour.set(rgbOf(m.color).join(','), i + 1);
      }
      return byColour;
    }
    // Reads the initial mask: each pixel's colour names a label through the
    // initial value's labelMappings; other colours stay unlabeled.
    _loadInitialMask() {
      const r = P.readStructured(this, 'initial-value', null);
      const v = r.value;
      if (r.error) this._status(r.error);
      if (!v || typeof v !== 'object' || !v.src || !this._mask) return;
      const byColour = this._initialColours(v);
      const img = new Image();
      img.crossOrigin = 'anonymous';
      img.onload = () => {
        try {
          const c = document.createElement('canvas');
          c.width = this._maskW; c.height = this._maskH;
          const ctx = c.getContext('2d', { willReadFrequently: true });
          ctx.imageSmoothingEnabled = false;
          ctx.drawImage(img, 0, 0, c.width, c.height);
          const d = ctx.getImageData(0, 0, c.width, c.height).data;
          for (let i = 0; i < this._mask.length; i++) this._mask[i] = d[i * 4 + 3] < 128 ? 0 : (byColour.get(`${d[i * 4]},${d[i * 4 + 1]},${d[i * 4 + 2]}`) || 0);
          this._counts = null;
          this._undo = []; this._redo = [];
          this._flush(0, 0, this._maskW, this._maskH);
          this._initialVersion = this._version;
          this._afterChange();
        } catch (err) {
          this._status('The earlier mask could not be read.');
        }
      };
      img.onerror = () => this._status('The earlier mask could not be loaded.');
      img.src = v.src;
    }
    _output() {
      const { width: w, height: h } = this._natural;
      const labelMappings = {};
      for (const l of this.labels) labelMappings[l] = { color: this._colorOf(l) };
      if (!this._pngCache || this._pngCache.version !== this._version) {
        const data = this._mask && w && h ? base64(P.encodeIndexedPng(w, h, this._mask, this._palette())) : '';
        this._pngCache = { version: this._version, data };
      }
      const out = { inputImageProperties: { height: h, width: w }, labelMappings, labeledImage: { pngImageData: this._pngCache.data } };
      if (this._hasInitial) out.initialValueModified = this._undo.length > 0;
      return out;
    }
    _validateShapes() { return this._polygon ? 'Fill (Enter) or cancel (Esc) the polygon being drawn.' : ''; }
    _crowdReset() {
      if (this._mask) { this._mask.fill(0); this._counts = this._unlabeledCounts(); this._undo = []; this._redo = []; this._flush(0, 0, this._maskW, this._maskH); this._loadInitialMask(); }
    }
  }

  P.SemanticSegmentationElement = CrowdSemanticSegmentation;
  P.rgbOf = rgbOf;
  P.define('crowd-semantic-segmentation', CrowdSemanticSegmentation);
})();
