/*
 * <crowd-instance-segmentation>: paint each object of an image as its own
 * instance of a label (spec crowd-elements.md §5.11). Output:
 *   { "<name>": { "inputImageProperties": { "height", "width" },
 *                 "instances": [ { "color": "#rrggbb", "label": "<label>" } ],
 *                 "labeledImage": { "pngImageData": "<base64 PNG>" },
 *                 "initialValueModified"?: bool } }
 * Every instance has its own colour (labels repeat); the indexed PNG's
 * palette entry i + 1 is instance i's colour, entry 0 unlabeled
 * (transparent). Choosing a label (button or key 1-9) starts a new instance
 * of it; a click on an instance in the list paints it again; its "×" clears
 * its pixels and removes it. `initial-value`: { instances: [{ color, label }],
 * src: "<PNG URL>" }. The tools are crowd-semantic-segmentation's.
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];

  // Distinct colours: the label palette, then hues by the golden angle.
  const colourAt = (i) => {
    if (i < P.LABEL_COLORS.length) return P.LABEL_COLORS[i];
    const h = (i * 137.508) % 360, s = 0.65, l = 0.5;
    const f = (n) => { const k = (n + h / 30) % 12; const c = l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k - 3, 9 - k, 1)); return Math.round(255 * c).toString(16).padStart(2, '0'); };
    return `#${f(0)}${f(8)}${f(4)}`;
  };

  class CrowdInstanceSegmentation extends P.SemanticSegmentationElement {
    constructor() {
      super();
      this._instances = []; // {label, color, removed}
      this._inst = -1;
      this._labelIndex = -1;
    }
    get _needsExplicitLabel() { return true; }
    get _listTitle() { return 'Instances'; }
    get _hint() { return 'Choose a label to start an instance, then paint it'; }
    get _currentLabel() {
      if (this._tool === 'eraser') return 'eraser';
      const i = this._instances[this._inst];
      return i && !i.removed ? i.label : null;
    }
    get _paintValue() { return this._tool === 'eraser' ? 0 : this._inst + 1; }
    // A label has no colour of its own here (its instances do): the label
    // being painted shows its instance's colour, the others grey.
    _colorOf(label) {
      const i = this._instances[this._inst];
      return i && i.label === label ? i.color : '#8a8f98';
    }
    _palette() { return [[255, 255, 255], ...this._instances.map((i) => P.rgbOf(i.color))]; }
    _newColour() {
      const used = new Set(this._instances.map((i) => i.color.toLowerCase()));
      for (let k = 0; ; k++) if (!used.has(colourAt(k).toLowerCase())) return colourAt(k);
    }
    _chooseLabel(i) {
      const labels = this.labels;
      if (i < 0 || i >= labels.length) return;
      if (this._instances.length >= 255) { this._status('At most 255 instances.'); return; }
      this._instances.push({ label: labels[i], color: this._newColour(), removed: false });
      this._inst = this._instances.length - 1;
      this._labelIndex = i;
      if (this._tool === 'eraser' || this._tool === 'fill') this._setTool('brush');
      this._status(`Painting ${labels[i]} #${this._instances.filter((x) => x.label === labels[i]).length}.`);
      this._renderLabels();
      this._renderList();
    }
    _renderList() {
      const ul = this.shadowRoot.querySelector('.shape-list');
      if (!ul) return;
      this.shadowRoot.querySelector('.shape-title').textContent = this._listTitle;
      const counts = this._maskCounts();
      ul.replaceChildren();
      this._instances.forEach((inst, k) => {
        if (inst.removed) return;
        const li = document.createElement('li');
        if (k === this._inst) li.className = 'selected';
        li.innerHTML = '<span class="swatch"></span><span class="lab"></span><span class="geom"></span><button type="button" class="del" aria-label="Remove">×</button>';
        li.querySelector('.swatch').style.background = inst.color;
        li.querySelector('.lab').textContent = inst.label;
        li.querySelector('.geom').textContent = `${counts[k + 1]} px`;
        li.addEventListener('click', () => { this._inst = k; this._labelIndex = this.labels.indexOf(inst.label); this._renderLabels(); this._renderList(); });
        li.querySelector('.del').addEventListener('click', (e) => { e.stopPropagation(); this._removeInstance(k); });
        ul.appendChild(li);
      });
      if (!ul.children.length) ul.innerHTML = '<li class="status">None yet</li>';
      const sr = this.shadowRoot;
      sr.querySelector('.undo').disabled = !this._undo.length;
      sr.querySelector('.redo').disabled = !this._redo.length;
      sr.querySelector('.delete').hidden = true;
    }
    _removeInstance(k) {
      const v = k + 1, m = this._mask;
      this._edit(0, 0, this._maskW, this._maskH, () => { for (let i = 0; i < m.length; i++) if (m[i] === v) m[i] = 0; });
      this._instances[k].removed = true;
      if (this._inst === k) this._inst = -1;
      this._renderList();
    }
    _initialColours(v) {
      const byColour = new Map();
      this._instances = [];
      for (const inst of (Array.isArray(v.instances) ? v.instances : [])) {
        if (!inst || !inst.color || this._instances.length >= 255) continue;
        this._instances.push({ label: String(inst.label ?? ''), color: String(inst.color), removed: false });
        byColour.set(P.rgbOf(inst.color).join(','), this._instances.length);
      }
      return byColour;
    }
    _output() {
      // Instances in order, without removed ones; the PNG's indices follow.
      const keep = [], remap = new Uint8Array(256);
      this._instances.forEach((inst, k) => { if (!inst.removed) { keep.push(inst); remap[k + 1] = keep.length; } });
      const { width: w, height: h } = this._natural;
      if (!this._pngCache || this._pngCache.version !== this._version || this._pngCache.n !== keep.length) {
        let data = '';
        if (this._mask && w && h) {
          const idx = new Uint8Array(this._mask.length);
          for (let i = 0; i < idx.length; i++) idx[i] = remap[this._mask[i]];
          const png = P.encodeIndexedPng(w, h, idx, [[255, 255, 255], ...keep.map((i) => P.rgbOf(i.color))]);
          let s = '';
          for (let i = 0; i < png.length; i += 0x8000) s += String.fromCharCode.apply(null, png.subarray(i, i + 0x8000));
          data = btoa(s);
        }
        this._pngCache = { version: this._version, n: keep.length, data };
      }
      const out = { inputImageProperties: { height: h, width: w }, instances: keep.map((i) => ({ color: i.color, label: i.label })),
        labeledImage: { pngImageData: this._pngCache.data } };
      if (this._hasInitial) out.initialValueModified = this._undo.length > 0;
      return out;
    }
  }

  P.define('crowd-instance-segmentation', CrowdInstanceSegmentation);
})();
