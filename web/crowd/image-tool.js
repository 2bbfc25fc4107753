/*
 * P.ImageToolElement: the shared base of the image annotators
 * (crowd-bounding-box, crowd-polygon, crowd-keypoint, crowd-line,
 * crowd-polyline; spec crowd-elements.md §5.5-5.9 and §5.12). Load after
 * base.js and crowd-form.js, before the tools (see ORDER).
 *
 * What the base gives every tool:
 *   - the annotator layout (§2.6) with the image tool's header buttons
 *     (`awsui-button` wrappers, index 1 is Shortcuts; a `paper-icon-button`
 *     for the image settings), the instructions pane and modals;
 *   - a stage of two canvases: `canvas.lower-canvas` holds the image,
 *     `canvas.upper-canvas` the shapes. At "fit" the stage covers exactly the
 *     displayed image (§6 row 19); zooming magnifies inside it;
 *   - zoom (wheel, pinch, + - 0 keys, buttons) around the pointer, pan (drag
 *     with the middle button, the right button, Space held, two fingers,
 *     trackpad scroll, arrow keys with nothing selected), fit to screen;
 *   - brightness and contrast (a CSS filter on the image layer only);
 *   - labels from the `labels` attribute or property (get/set, never reflected),
 *     colours from `label-colors` or the palette, keys 1-9 to pick a label (and
 *     relabel the selected shape);
 *   - select, move, delete (Delete/Backspace), nudge (arrows, Shift x10),
 *     undo/redo (Ctrl+Z, Ctrl+Shift+Z, Ctrl+Y) with snapshots of the shapes;
 *   - a list of the drawn shapes beside the image;
 *   - mouse, pen and touch through pointer events;
 *   - `value` / `_submittableValue` (fresh copies, never undefined) and the
 *     crowd-form field protocol; `initialValueModified` when `initial-value`
 *     was given (true when the output differs from the initial one).
 *
 * Rendering: the image layer is redrawn only when the view changes, from a
 * down-scaled copy when the zoom allows; the shape layer is redrawn at most
 * once per animation frame. `_drawTimes` keeps the durations (ms) of the last
 * 2000 frames drawn, both layers (the browser tests read them).
 *
 * A tool subclass supplies (all coordinates in natural image pixels):
 *   static toolName, _outputKey, _listTitle, _readInitial(v) -> shapes,
 *   _shapeOut(shape) -> output object, _drawShape(ctx, shape, state),
 *   _hit(shape, pt, tol) -> null | {part}, _beginCreate(pt, e) -> drag or null,
 *   _beginEdit(index, hit, pt, e) -> drag or null, _translate(shape, dx, dy),
 *   _describe(shape) -> text; optionally _toolKey(e), _cancelCreate(undo),
 *   _drawPending(ctx), _drawing() (true while a shape is drawn point by
 *   point: every press goes to _beginCreate), _onHover(pt), _clampShape(s),
 *   _outputOrder (output keys in Ground Truth's order).
 * A drag is {move(pt, e), up(pt, e), cancel()}.
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];

  // Ground Truth's label palette order (spec §5.10), then more distinct hues.
  P.LABEL_COLORS = ['#2ca02c', '#1f77b4', '#ff7f0e', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf',
    '#aec7e8', '#ffbb78', '#98df8a', '#ff9896', '#c5b0d5', '#c49c94', '#f7b6d2', '#c7c7c7', '#dbdb8d', '#9edae5'];

  const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);
  const labelText = (l) => (l !== null && typeof l === 'object') ? String(l.label ?? l.name ?? '') : String(l);
  // Hex colour with an alpha byte.
  P.withAlpha = (hex, a) => {
    const h = String(hex).replace('#', '');
    const full = h.length === 3 ? h.split('').map((c) => c + c).join('') : h.slice(0, 6);
    return `#${full}${Math.round(clamp(a, 0, 1) * 255).toString(16).padStart(2, '0')}`;
  };

  const TOOL_CSS = `
    .tool-area { padding: 12px 16px; gap: 10px; }
    .toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; }
    .toolbar .btn { min-height: 32px; padding: 0 10px; font-size: 13px; }
    .toolbar .sep { width: 1px; align-self: stretch; background: var(--_border); margin: 0 4px; }
    .toolbar .zoom-level { min-width: 52px; text-align: center; font-size: 13px; color: var(--_muted); font-variant-numeric: tabular-nums; }
    .toolbar .btn[aria-pressed="true"] { background: var(--_primary-soft); border-color: var(--_primary); color: var(--_primary); }
    .stage-wrap { position: relative; flex: 1; min-height: 360px; overflow: hidden; background: #20242c; border-radius: var(--_radius); }
    .stage { position: absolute; overflow: hidden; touch-action: none; background: #111; }
    .stage canvas { position: absolute; left: 0; top: 0; width: 100%; height: 100%; display: block; }
    .upper-canvas { cursor: crosshair; }
    .upper-canvas.panning { cursor: grabbing; }
    .upper-canvas.over-shape { cursor: move; }
    .upper-canvas.over-handle { cursor: nwse-resize; }
    .stage-message { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center; color: #e8eaf0; font-size: 15px; padding: 20px; text-align: center; }
    .status { color: var(--_muted); font-size: 13px; min-height: 1.2em; }
    .label-button .swatch, .shape-list .swatch { width: 14px; height: 14px; border-radius: 3px; flex: none; }
    .shape-head { display: flex; align-items: center; padding: 0 16px; gap: 8px; }
    .shape-head .picker-title { flex: 1; }
    .shape-list { list-style: none; margin: 0; padding: 0 12px 12px; display: flex; flex-direction: column; gap: 2px; font-size: 13px; overflow: auto; max-height: 40vh; }
    .shape-list li { display: flex; gap: 8px; align-items: center; padding: 4px 6px; border-radius: 6px; cursor: pointer; }
    .shape-list li:hover { background: var(--_canvas); }
    .shape-list li.selected { background: var(--_primary-soft); box-shadow: inset 0 0 0 1px var(--_primary); }
    .shape-list .lab { font-weight: 600; }
    .shape-list .geom { flex: 1; color: var(--_muted); font-variant-numeric: tabular-nums; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .shape-list .del { border: 0; background: transparent; cursor: pointer; color: var(--_muted); border-radius: 4px; font-size: 15px; line-height: 1; padding: 2px 5px; }
    .shape-list .del:hover { background: var(--_danger-soft); color: var(--_danger); }
    .settings { display: grid; grid-template-columns: auto 1fr auto; gap: 10px 12px; align-items: center; }
    .settings input[type=range] { width: 100%; }
    awsui-button, paper-icon-button { display: inline-flex; }
  `;

  class ImageToolElement extends P.CrowdElement {
    static get observedAttributes() { return ['header', 'labels', 'src', 'initial-value', 'label-colors']; }

    constructor() {
      super();
      this._regionNames = ['short-instructions', 'full-instructions'];
      this._shapes = [];
      this._selected = -1;
      this._labelIndex = this._needsExplicitLabel ? -1 : 0;
      this._labelsProp = null;
      this._undo = [];
      this._redo = [];
      this._view = { s: 1, x: 0, y: 0, fit: 1 };
      this._img = null;
      this._imgState = 'none'; // none | loading | loaded | error
      this._natural = { width: 0, height: 0 };
      this._pointers = new Map();
      this._drag = null;
      this._drawTimes = [];
      this._filters = { brightness: 100, contrast: 100 };
      this._initialOut = null;
      this._onKey = (e) => this._handleKey(e);
      this._onKeyUp = (e) => { if (e.key === ' ') this._space = false; };
    }

    // Subclass defaults.
    get _needsExplicitLabel() { return false; }
    get _listTitle() { return 'Shapes'; }
    get _hint() { return 'Drag on the image to draw'; }
    get _shortcutRows() { return ''; }

    // -------------------------------------------------------- properties
    get labels() {
      if (this._labelsProp) return this._labelsProp.slice();
      const v = P.readStructured(this, 'labels', []).value;
      return (Array.isArray(v) ? v : []).map(labelText).filter((l) => l !== '');
    }
    set labels(v) {
      this._labelsProp = (Array.isArray(v) ? v : []).map(labelText).filter((l) => l !== '');
      this._fixLabelIndex();
      this._renderLabels();
      this._renderList();
      this._requestDraw();
    }
    get value() { return this._output(); }
    get _submittableValue() { return this._output(); }
    get src() { return this.getAttribute('src') || ''; }

    _fixLabelIndex() {
      const n = this.labels.length;
      if (this._labelIndex >= n) this._labelIndex = this._needsExplicitLabel ? -1 : (n ? 0 : -1);
      if (this._labelIndex < 0 && n && !this._needsExplicitLabel) this._labelIndex = 0;
    }
    get _currentLabel() { const l = this.labels; return this._labelIndex >= 0 && this._labelIndex < l.length ? l[this._labelIndex] : null; }

    _colorOf(label) {
      const labels = this.labels;
      let i = labels.indexOf(label);
      const custom = P.readStructured(this, 'label-colors', null).value;
      if (i >= 0 && Array.isArray(custom) && typeof custom[i] === 'string' && /^#[0-9a-f]{3,8}$/i.test(custom[i])) return custom[i];
      if (i < 0) {
        // A label outside the list (initial values): a stable colour by name.
        let h = 0;
        for (const c of String(label)) h = (h * 31 + c.codePointAt(0)) >>> 0;
        i = labels.length + (h % 7);
      }
      return P.LABEL_COLORS[i % P.LABEL_COLORS.length];
    }

    // ------------------------------------------------------------ render
    _render() {
      const tool = this.localName;
      this.shadowRoot.innerHTML = `
        <style>${P.BASE_CSS}${P.APP_CSS}${TOOL_CSS}${this._extraCss || ''}</style>
        <div class="app">
          <header class="headerContainer"><h1 class="headerTitle"></h1>
            <div class="headerButtonsContainer">
              <awsui-button><button type="button" class="btn toggle-instructions" aria-pressed="true">${P.icon('menu')}Instructions</button></awsui-button>
              <awsui-button><button type="button" class="btn shortcuts-button">${P.icon('keyboard')}Shortcuts</button></awsui-button>
              <paper-icon-button><button type="button" class="btn settings-button" aria-label="Image settings" title="Brightness and contrast">${P.icon('settings')}</button></paper-icon-button>
            </div></header>
          <div class="body">
            <nav class="awsui-app-layout__navigation" aria-label="Instructions"><h2 class="nav-title">Instructions</h2>
              <slot name="short-instructions"></slot>
              <button type="button" class="moreInstructionsLink">View full instructions</button></nav>
            <div class="annotation-area workspace">
              <div class="annotation-area target tool-area">
                <div class="toolbar" role="toolbar" aria-label="Image tools">
                  ${this._toolButtons ? this._toolButtons() + '<span class="sep"></span>' : ''}
                  <button type="button" class="btn zoom-out" title="Zoom out (-)" aria-label="Zoom out">${P.icon('zoom-out')}</button>
                  <span class="zoom-level" aria-live="polite">100%</span>
                  <button type="button" class="btn zoom-in" title="Zoom in (+)" aria-label="Zoom in">${P.icon('zoom-in')}</button>
                  <button type="button" class="btn zoom-fit" title="Fit to screen (0)">Fit</button>
                  <span class="sep"></span>
                  <button type="button" class="btn undo" title="Undo (Ctrl+Z)" aria-label="Undo">${P.icon('arrow-back')}Undo</button>
                  <button type="button" class="btn redo" title="Redo (Ctrl+Shift+Z)" aria-label="Redo">Redo${P.icon('arrow-forward')}</button>
                  <button type="button" class="btn delete" id="delete" title="Delete the selected shape (Delete)" aria-label="Delete selected">${P.icon('delete')}</button>
                </div>
                <div class="stage-wrap"><div class="stage">
                  <canvas class="lower-canvas" aria-hidden="true"></canvas>
                  <canvas class="upper-canvas" tabindex="0" role="application" aria-label="Image to annotate"></canvas>
                </div><div class="stage-message" hidden></div></div>
                <div class="status" aria-live="polite"></div>
              </div>
              <aside class="label-pane">
                <div class="category-picker-wrapper label-pane-content"><h2 class="picker-title">Labels</h2><div class="label-list"></div></div>
                <div class="shape-head"><h2 class="picker-title shape-title"></h2></div>
                <ul class="shape-list" aria-label="Drawn shapes"></ul>
                <div class="label-pane-footer"><div class="field-error" role="alert" hidden></div>
                  <div class="submit-row"><span class="hint"></span>
                  <button type="submit" class="btn primary submit">Submit</button></div></div>
              </aside>
            </div>
          </div>
          ${P.modalHTML('full-instructions-modal', 'Instructions', '<slot name="full-instructions"></slot>')}
          ${P.modalHTML('shortcuts-modal', 'Keyboard shortcuts', `<ul class="shortcuts-list">
            ${this._shortcutRows}
            <li><kbd>1</kbd> … <kbd>9</kbd></li><li>Choose label N (and relabel the selected shape)</li>
            <li><kbd>Delete</kbd> / <kbd>Backspace</kbd></li><li>Delete the selected shape</li>
            <li><kbd>Esc</kbd></li><li>Cancel drawing, or deselect</li>
            <li><kbd>Ctrl</kbd>+<kbd>Z</kbd>, <kbd>Ctrl</kbd>+<kbd>Shift</kbd>+<kbd>Z</kbd></li><li>Undo, redo</li>
            <li><kbd>←</kbd> <kbd>↑</kbd> <kbd>→</kbd> <kbd>↓</kbd></li><li>Move the selected shape 1 px (<kbd>Shift</kbd>: 10 px); with nothing selected, pan</li>
            <li><kbd>+</kbd> <kbd>-</kbd> <kbd>0</kbd></li><li>Zoom in, zoom out, fit to screen</li>
            <li>Wheel, pinch</li><li>Zoom at the pointer</li>
            <li><kbd>Space</kbd>+drag, right or middle drag, two fingers</li><li>Pan</li></ul>`)}
          ${P.modalHTML('settings-modal', 'Image settings', `<div class="settings">
            <label for="brightness">Brightness</label><input type="range" id="brightness" class="brightness" min="20" max="300" value="100"><span class="bv">100%</span>
            <label for="contrast">Contrast</label><input type="range" id="contrast" class="contrast" min="20" max="300" value="100"><span class="cv">100%</span>
            <span></span><button type="button" class="btn reset-filters">Reset</button><span></span></div>`)}
        </div>`;
      const sr = this.shadowRoot;
      sr.querySelectorAll('dialog').forEach(P.wireDialog);
      this._app = sr.querySelector('.app');
      this._wrap = sr.querySelector('.stage-wrap');
      this._stage = sr.querySelector('.stage');
      this._lower = sr.querySelector('.lower-canvas');
      this._upper = sr.querySelector('.upper-canvas');
      this._msg = sr.querySelector('.stage-message');
      sr.querySelector('.toggle-instructions').addEventListener('click', (e) => {
        e.currentTarget.setAttribute('aria-pressed', String(!this._app.classList.toggle('nav-hidden')));
      });
      sr.querySelector('.shortcuts-button').addEventListener('click', () => P.openDialog(sr.querySelector('.shortcuts-modal')));
      sr.querySelector('.settings-button').addEventListener('click', () => P.openDialog(sr.querySelector('.settings-modal')));
      sr.querySelector('.moreInstructionsLink').addEventListener('click', () => P.openDialog(sr.querySelector('.full-instructions-modal')));
      const filt = () => {
        this._filters.brightness = Number(sr.querySelector('.brightness').value);
        this._filters.contrast = Number(sr.querySelector('.contrast').value);
        sr.querySelector('.bv').textContent = `${this._filters.brightness}%`;
        sr.querySelector('.cv').textContent = `${this._filters.contrast}%`;
        this._lower.style.filter = `brightness(${this._filters.brightness}%) contrast(${this._filters.contrast}%)`;
      };
      sr.querySelector('.brightness').addEventListener('input', filt);
      sr.querySelector('.contrast').addEventListener('input', filt);
      sr.querySelector('.reset-filters').addEventListener('click', () => {
        sr.querySelector('.brightness').value = 100; sr.querySelector('.contrast').value = 100; filt();
      });
      sr.querySelector('.zoom-in').addEventListener('click', () => this._zoomBy(1.25));
      sr.querySelector('.zoom-out').addEventListener('click', () => this._zoomBy(0.8));
      sr.querySelector('.zoom-fit').addEventListener('click', () => this._fit());
      sr.querySelector('.undo').addEventListener('click', () => this._undoStep());
      sr.querySelector('.redo').addEventListener('click', () => this._redoStep());
      sr.querySelector('.delete').addEventListener('click', () => this._deleteSelected());
      sr.querySelector('.submit').addEventListener('click', (e) => {
        e.preventDefault();
        const form = P.formOf(this);
        if (form) form.submit();
      });
      if (this._wireToolButtons) this._wireToolButtons(sr);
      this._wirePointer();
      this._resizeObserver = new ResizeObserver(() => this._layout());
      this._resizeObserver.observe(this._wrap);
      this._applyInitialValue();
      this._loadImage();
      this._update();
      this._regionsChanged();
    }

    _attributeChanged(name) {
      if (name === 'src') { this._loadImage(); return; }
      if (name === 'initial-value') { this._applyInitialValue(); }
      if (name === 'labels') this._fixLabelIndex();
      this._update();
    }

    _regionsChanged() {
      const sr = this.shadowRoot;
      const nav = sr.querySelector('.awsui-app-layout__navigation');
      if (!nav) return;
      const short = this._region('short-instructions');
      const full = this._region('full-instructions');
      sr.querySelector('.moreInstructionsLink').hidden = !full;
      nav.hidden = !(short || full);
      sr.querySelector('.toggle-instructions').hidden = nav.hidden;
      if (full) sr.querySelector('.full-instructions-modal .modal-title').textContent = full.getAttribute('header') || 'Instructions';
    }

    _update() {
      const sr = this.shadowRoot;
      if (!sr.querySelector('.headerTitle')) return;
      sr.querySelector('.headerTitle').textContent = this.getAttribute('header') || '';
      sr.querySelector('.hint').textContent = this._hint;
      this._renderLabels();
      this._renderList();
      this._requestDraw();
    }

    _renderLabels() {
      const list = this.shadowRoot.querySelector('.label-list');
      if (!list) return;
      list.replaceChildren();
      const labels = this.labels;
      labels.forEach((l, i) => {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'category-button label-button' + (i === this._labelIndex ? ' selected' : '');
        b.dataset.label = l;
        b.setAttribute('aria-pressed', String(i === this._labelIndex));
        if (i < 9) b.setAttribute('aria-keyshortcuts', String(i + 1));
        b.innerHTML = `${i < 9 ? `<span class="key" aria-hidden="true">${i + 1}</span>` : ''}<span class="swatch"></span><span class="text"></span>`;
        b.querySelector('.swatch').style.background = this._colorOf(l);
        b.querySelector('.text').textContent = l;
        b.addEventListener('click', () => this._chooseLabel(i));
        list.appendChild(b);
      });
      if (!labels.length) list.innerHTML = '<div class="status">No labels</div>';
    }

    _renderList() {
      const ul = this.shadowRoot.querySelector('.shape-list');
      if (!ul) return;
      this.shadowRoot.querySelector('.shape-title').textContent = `${this._listTitle} (${this._shapes.length})`;
      const frag = document.createDocumentFragment();
      this._shapes.forEach((s, i) => {
        const li = document.createElement('li');
        li.dataset.index = String(i);
        if (i === this._selected) li.className = 'selected';
        li.innerHTML = '<span class="swatch"></span><span class="lab"></span><span class="geom"></span><button type="button" class="del" aria-label="Delete">×</button>';
        li.querySelector('.swatch').style.background = this._colorOf(s.label);
        li.querySelector('.lab').textContent = s.label;
        li.querySelector('.geom').textContent = this._describe(s);
        li.querySelector('.del').addEventListener('click', (e) => { e.stopPropagation(); this._select(i); this._deleteSelected(); });
        li.addEventListener('click', () => this._select(i));
        frag.appendChild(li);
      });
      ul.replaceChildren(frag);
      if (!this._shapes.length) ul.innerHTML = '<li class="status">None yet</li>';
      const sr = this.shadowRoot;
      sr.querySelector('.undo').disabled = !this._undo.length;
      sr.querySelector('.redo').disabled = !this._redo.length;
      sr.querySelector('.delete').disabled = this._selected < 0;
    }

    _status(msg) { const s = this.shadowRoot.querySelector('.status'); if (s) s.textContent = msg || ''; }

    // ------------------------------------------------------------- image
    _loadImage() {
      const src = this.src;
      this._img = null;
      this._cache = null;
      if (!src) { this._imgState = 'none'; this._showMessage('No image (src is empty).'); return; }
      this._imgState = 'loading';
      this._showMessage('Loading image…');
      const img = new Image();
      img.decoding = 'async';
      img.onload = () => {
        if (this.src !== src) return;
        this._img = img;
        this._imgState = 'loaded';
        this._natural = { width: img.naturalWidth, height: img.naturalHeight };
        this._showMessage('');
        this._clampAll();
        this._layout(true);
        this.dispatchEvent(new Event('imageload'));
      };
      img.onerror = () => {
        if (this.src !== src) return;
        this._imgState = 'error';
        this._showMessage('The image could not be loaded.');
      };
      img.src = src;
    }
    _showMessage(t) { if (this._msg) { this._msg.textContent = t; this._msg.hidden = !t; } }

    // Sizes the stage to the image fitted in the available area.
    _layout(refit) {
      if (!this._wrap || this._imgState !== 'loaded') return;
      const W = this._wrap.clientWidth, H = this._wrap.clientHeight;
      const { width: nw, height: nh } = this._natural;
      if (!W || !H || !nw || !nh) return;
      const fit = Math.min(W / nw, H / nh);
      const sw = Math.max(1, Math.round(nw * fit)), sh = Math.max(1, Math.round(nh * fit));
      Object.assign(this._stage.style, { width: `${sw}px`, height: `${sh}px`, left: `${Math.floor((W - sw) / 2)}px`, top: `${Math.floor((H - sh) / 2)}px` });
      const dpr = window.devicePixelRatio || 1;
      for (const c of [this._lower, this._upper]) { c.width = Math.round(sw * dpr); c.height = Math.round(sh * dpr); }
      const v = this._view;
      const rel = v.fit ? v.s / v.fit : 1;
      const cx = v.fit ? (sw / 2 - v.x) / v.s : nw / 2, cy = v.fit ? (sh / 2 - v.y) / v.s : nh / 2;
      this._stageSize = { w: sw, h: sh };
      v.fit = fit;
      if (refit || rel <= 1.0001) { v.s = fit; v.x = 0; v.y = 0; } else { v.s = fit * rel; v.x = sw / 2 - cx * v.s; v.y = sh / 2 - cy * v.s; }
      this._clampView();
      this._buildCache();
      this._requestDraw(true);
    }

    // A down-scaled copy of the image for the zoom levels that need no more.
    _buildCache() {
      const img = this._img;
      if (!img) return;
      const dpr = window.devicePixelRatio || 1;
      const scale = Math.min(1, this._view.fit * dpr * 2);
      if (scale >= 1) { this._cache = null; return; }
      const c = document.createElement('canvas');
      c.width = Math.max(1, Math.round(this._natural.width * scale));
      c.height = Math.max(1, Math.round(this._natural.height * scale));
      const ctx = c.getContext('2d');
      ctx.imageSmoothingQuality = 'high';
      ctx.drawImage(img, 0, 0, c.width, c.height);
      this._cache = { canvas: c, scale };
    }

    _clampView() {
      const v = this._view;
      if (!this._stageSize) return;
      const { w, h } = this._stageSize;
      v.s = clamp(v.s, v.fit, Math.max(v.fit * 64, 8));
      v.x = clamp(v.x, w - this._natural.width * v.s, 0);
      v.y = clamp(v.y, h - this._natural.height * v.s, 0);
    }

    _zoomAt(factor, sx, sy) {
      const v = this._view;
      if (!this._stageSize) return;
      if (sx === undefined) { sx = this._stageSize.w / 2; sy = this._stageSize.h / 2; }
      const ix = (sx - v.x) / v.s, iy = (sy - v.y) / v.s;
      v.s *= factor;
      this._clampView();
      v.x = sx - ix * v.s; v.y = sy - iy * v.s;
      this._clampView();
      this._requestDraw(true);
    }
    _zoomBy(f) { this._zoomAt(f); }
    _fit() { const v = this._view; v.s = v.fit; v.x = 0; v.y = 0; this._requestDraw(true); }
    _panBy(dx, dy) { this._view.x += dx; this._view.y += dy; this._clampView(); this._requestDraw(true); }

    // Screen (client) coordinates to natural image pixels.
    _toImage(e) {
      const r = this._upper.getBoundingClientRect();
      const v = this._view;
      return { x: (e.clientX - r.left - v.x) / v.s, y: (e.clientY - r.top - v.y) / v.s };
    }
    _clampPoint(p) { return { x: clamp(p.x, 0, this._natural.width), y: clamp(p.y, 0, this._natural.height) }; }
    // Tolerance for hits, in image pixels, from one in screen pixels.
    _tol(px = 7) { return px / this._view.s; }

    // ----------------------------------------------------------- drawing
    _requestDraw(image) {
      if (image) this._imageDirty = true;
      if (this._frame) return;
      this._frame = requestAnimationFrame(() => {
        this._frame = 0;
        const t0 = performance.now();
        if (this._imageDirty) { this._imageDirty = false; this._drawImage(); }
        this._drawShapes();
        this._drawTimes.push(performance.now() - t0);
        if (this._drawTimes.length > 2000) this._drawTimes.splice(0, this._drawTimes.length - 2000);
      });
    }

    _drawImage() {
      if (!this._img || !this._stageSize) return;
      const ctx = this._lower.getContext('2d');
      const dpr = window.devicePixelRatio || 1;
      const v = this._view;
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, this._lower.width, this._lower.height);
      // Only the visible part of the image, from the copy when it is enough.
      const { w, h } = this._stageSize;
      const x0 = Math.max(0, -v.x / v.s), y0 = Math.max(0, -v.y / v.s);
      const x1 = Math.min(this._natural.width, (w - v.x) / v.s), y1 = Math.min(this._natural.height, (h - v.y) / v.s);
      if (x1 <= x0 || y1 <= y0) return;
      const useCache = this._cache && v.s * dpr <= this._cache.scale * 1.01;
      const src = useCache ? this._cache.canvas : this._img;
      const k = useCache ? this._cache.scale : 1;
      ctx.imageSmoothingEnabled = v.s < 4;
      ctx.setTransform(dpr * v.s, 0, 0, dpr * v.s, dpr * v.x, dpr * v.y);
      ctx.drawImage(src, x0 * k, y0 * k, (x1 - x0) * k, (y1 - y0) * k, x0, y0, x1 - x0, y1 - y0);
      const z = this.shadowRoot.querySelector('.zoom-level');
      if (z) z.textContent = `${Math.round(v.s * 100)}%`;
    }

    _drawShapes() {
      if (!this._upper) return;
      const ctx = this._upper.getContext('2d');
      const dpr = window.devicePixelRatio || 1;
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, this._upper.width, this._upper.height);
      if (this._imgState !== 'loaded') return;
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      const v = this._view;
      const state = { view: v, sx: (x) => x * v.s + v.x, sy: (y) => y * v.s + v.y, selected: false, color: '' };
      const labels = new Set(this.labels);
      for (let i = 0; i < this._shapes.length; i++) {
        if (i === this._selected) continue;
        const s = this._shapes[i];
        if (this._hidesUnknownLabels && !labels.has(s.label)) continue;
        state.selected = false; state.color = this._colorOf(s.label); state.hover = i === this._hover;
        this._drawShape(ctx, s, state);
      }
      if (this._selected >= 0 && this._shapes[this._selected]) {
        const s = this._shapes[this._selected];
        state.selected = true; state.color = this._colorOf(s.label); state.hover = false;
        this._drawShape(ctx, s, state);
      }
      if (this._drawPending) this._drawPending(ctx, state);
    }

    // Small label tag at a screen point.
    _drawTag(ctx, text, x, y, color) {
      ctx.font = '600 12px system-ui, sans-serif';
      const w = ctx.measureText(text).width + 8;
      const ty = y - 18 < 0 ? y + 1 : y - 18;
      ctx.fillStyle = color;
      ctx.fillRect(x, ty, w, 17);
      ctx.fillStyle = '#fff';
      ctx.fillText(text, x + 4, ty + 13);
    }

    // ----------------------------------------------------------- pointer
    _wirePointer() {
      const c = this._upper;
      c.addEventListener('contextmenu', (e) => e.preventDefault());
      c.addEventListener('pointerdown', (e) => this._pointerDown(e));
      c.addEventListener('pointermove', (e) => this._pointerMove(e));
      c.addEventListener('pointerup', (e) => this._pointerUp(e, false));
      c.addEventListener('pointercancel', (e) => this._pointerUp(e, true));
      c.addEventListener('lostpointercapture', (e) => { if (this._pointers.has(e.pointerId)) this._pointerUp(e, true); });
      c.addEventListener('wheel', (e) => this._wheel(e), { passive: false });
      c.addEventListener('pointerleave', () => { if (this._hover !== -1) { this._hover = -1; this._requestDraw(); } });
    }

    _pointerDown(e) {
      if (this._imgState !== 'loaded' || this.disabled) return;
      P.activeImageTool = this;
      this._upper.focus({ preventScroll: true });
      try { this._upper.setPointerCapture(e.pointerId); } catch (err) { /* synthetic events */ }
      this._pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
      e.preventDefault();
      if (this._pointers.size === 2) {
        // Second finger: a pinch replaces whatever the first one started.
        if (this._drag && this._drag.cancel) this._drag.cancel();
        this._drag = this._pinchDrag();
        return;
      }
      if (this._pointers.size > 2) return;
      if (e.button === 1 || e.button === 2 || this._space) { this._drag = this._panDrag(e); return; }
      if (e.button !== 0) return;
      const pt = this._toImage(e);
      // A shape being drawn point by point takes every press.
      if (this._drawing && this._drawing()) { this._drag = this._beginCreate(this._clampPoint(pt), e); return; }
      // The selected shape's handles first, then the shapes under the point.
      const hit = this._hitAt(pt);
      if (hit && !e.shiftKey) { this._drag = this._beginEdit(hit.index, hit, pt, e); return; }
      if (!this._currentLabel) {
        this._select(-1);
        this._status(this.labels.length ? 'Choose a label first.' : 'There are no labels to draw with.');
        return;
      }
      this._drag = this._beginCreate(this._clampPoint(pt), e);
    }

    _hitAt(pt) {
      const tol = this._tol();
      if (this._selected >= 0 && this._shapes[this._selected]) {
        const h = this._hit(this._shapes[this._selected], pt, tol, true);
        if (h) return { ...h, index: this._selected };
      }
      let best = null;
      const labels = this._hidesUnknownLabels ? new Set(this.labels) : null;
      for (let i = this._shapes.length - 1; i >= 0; i--) {
        if (labels && !labels.has(this._shapes[i].label)) continue;
        const h = this._hit(this._shapes[i], pt, tol, false);
        if (h && (!best || (h.rank ?? 0) < (best.rank ?? 0))) best = { ...h, index: i };
      }
      return best;
    }

    _pointerMove(e) {
      if (this._pointers.has(e.pointerId)) this._pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
      if (this._drag) {
        this._drag.move(this._toImage(e), e);
        this._requestDraw();
        return;
      }
      if (this._imgState !== 'loaded' || e.pointerType === 'touch') return;
      const hit = this._hitAt(this._toImage(e));
      const hover = hit ? hit.index : -1;
      this._upper.classList.toggle('over-shape', !!hit && hit.part === 'inside');
      this._upper.classList.toggle('over-handle', !!hit && hit.part !== 'inside');
      if (hover !== this._hover) { this._hover = hover; this._requestDraw(); }
      if (this._onHover) this._onHover(this._toImage(e));
    }

    _pointerUp(e, cancelled) {
      const had = this._pointers.delete(e.pointerId);
      if (!had) return;
      const d = this._drag;
      if (!d) return;
      if (d.pinch) { if (this._pointers.size < 2) this._drag = null; return; }
      this._drag = null;
      if (cancelled) { if (d.cancel) d.cancel(); } else d.up(this._toImage(e), e);
      this._requestDraw();
    }

    _panDrag(e) {
      const start = { x: e.clientX, y: e.clientY, vx: this._view.x, vy: this._view.y };
      this._upper.classList.add('panning');
      const end = () => this._upper.classList.remove('panning');
      return {
        move: (pt, ev) => { this._view.x = start.vx + ev.clientX - start.x; this._view.y = start.vy + ev.clientY - start.y; this._clampView(); this._requestDraw(true); },
        up: end, cancel: end,
      };
    }

    _pinchDrag() {
      const pts = () => [...this._pointers.values()];
      const r = this._upper.getBoundingClientRect();
      const geo = () => { const [a, b] = pts(); return { cx: (a.x + b.x) / 2 - r.left, cy: (a.y + b.y) / 2 - r.top, d: Math.hypot(a.x - b.x, a.y - b.y) || 1 }; };
      let last = geo();
      return {
        pinch: true,
        move: () => {
          if (this._pointers.size < 2) return;
          const g = geo();
          this._view.x += g.cx - last.cx; this._view.y += g.cy - last.cy;
          this._zoomAt(g.d / last.d, g.cx, g.cy);
          last = g;
        },
        up: () => {}, cancel: () => {},
      };
    }

    _wheel(e) {
      if (this._imgState !== 'loaded') return;
      e.preventDefault();
      const r = this._upper.getBoundingClientRect();
      const unit = e.deltaMode === 1 ? 16 : (e.deltaMode === 2 ? 400 : 1);
      const dx = e.deltaX * unit, dy = e.deltaY * unit;
      // Pinch on a trackpad arrives as a wheel with ctrlKey; a mouse wheel moves
      // in whole notches; a trackpad's two-finger scroll pans.
      const mouseWheel = e.deltaMode !== 0 || (dx === 0 && Number.isInteger(dy) && Math.abs(dy) >= 50);
      if (e.ctrlKey || e.metaKey || (mouseWheel && !e.shiftKey)) {
        this._zoomAt(Math.exp(-dy * (e.ctrlKey && !mouseWheel ? 0.01 : 0.0015)), e.clientX - r.left, e.clientY - r.top);
      } else if (e.shiftKey && dx === 0) this._panBy(-dy, 0);
      else this._panBy(-dx, -dy);
    }

    // ------------------------------------------------------ edit helpers
    _snapshot() { return JSON.stringify(this._shapes); }
    _checkpoint() { this._undo.push(this._snapshot()); if (this._undo.length > 200) this._undo.shift(); this._redo = []; }
    // Drops the checkpoint of an edit that changed nothing.
    _dropCheckpointIfSame() { if (this._undo.length && this._undo[this._undo.length - 1] === this._snapshot()) this._undo.pop(); }
    _restore(snap) {
      this._shapes = JSON.parse(snap);
      if (this._selected >= this._shapes.length) this._selected = -1;
      this._changed();
    }
    _undoStep() {
      if (this._cancelCreate && this._cancelCreate(true)) return;
      if (!this._undo.length) return;
      this._redo.push(this._snapshot());
      this._restore(this._undo.pop());
    }
    _redoStep() {
      if (!this._redo.length) return;
      this._undo.push(this._snapshot());
      this._restore(this._redo.pop());
    }
    _select(i) {
      this._selected = i;
      if (i >= 0 && this._shapes[i]) {
        const li = this.labels.indexOf(this._shapes[i].label);
        if (li >= 0) this._labelIndex = li;
      }
      this._renderLabels();
      this._renderList();
      this._requestDraw();
    }
    _deleteSelected() {
      if (this._selected < 0 || !this._shapes[this._selected]) return;
      this._checkpoint();
      this._shapes.splice(this._selected, 1);
      this._selected = -1;
      this._changed();
    }
    _chooseLabel(i) {
      const labels = this.labels;
      if (i < 0 || i >= labels.length) return;
      this._labelIndex = i;
      if (this._selected >= 0 && this._shapes[this._selected] && this._shapes[this._selected].label !== labels[i]) {
        this._checkpoint();
        this._shapes[this._selected].label = labels[i];
        this._changed();
        return;
      }
      this._status('');
      this._renderLabels();
      this._requestDraw();
    }
    _nudge(dx, dy) {
      const s = this._shapes[this._selected];
      if (!s) return;
      this._checkpoint();
      this._translate(s, dx, dy);
      this._changed();
    }
    // Moves a shape by (dx, dy), kept inside the image.
    _translateClamped(s, dx, dy, points) {
      const xs = points.map((p) => p.x), ys = points.map((p) => p.y);
      dx = clamp(dx, -Math.min(...xs), this._natural.width - Math.max(...xs));
      dy = clamp(dy, -Math.min(...ys), this._natural.height - Math.max(...ys));
      return { dx, dy };
    }
    _clampAll() { if (this._clampShape) for (const s of this._shapes) this._clampShape(s); }

    // After any change to the shapes.
    _changed() {
      this._status('');
      this._renderLabels();
      this._renderList();
      this._requestDraw();
      this.dispatchEvent(new Event('change', { bubbles: true }));
    }

    _handleKey(e) {
      if (e.defaultPrevented || P.isTypingTarget(e)) return;
      if (!this.isConnected || this._imgState === 'none') return;
      // With several tools on a page, keys go to the one last used.
      const active = P.activeImageTool && P.activeImageTool.isConnected ? P.activeImageTool : document.querySelector(P.IMAGE_TOOL_TAGS);
      if (active !== this) return;
      if (this.shadowRoot.querySelector('dialog[open]')) return;
      const k = e.key;
      const mod = e.ctrlKey || e.metaKey;
      if (mod && !e.altKey && (k === 'z' || k === 'Z')) { e.preventDefault(); if (e.shiftKey) this._redoStep(); else this._undoStep(); return; }
      if (mod && !e.altKey && (k === 'y' || k === 'Y')) { e.preventDefault(); this._redoStep(); return; }
      if (mod || e.altKey) return;
      if (this._toolKey && this._toolKey(e)) { e.preventDefault(); return; }
      if (/^[1-9]$/.test(k)) { if (this.labels[Number(k) - 1] !== undefined) { e.preventDefault(); this._chooseLabel(Number(k) - 1); } return; }
      if (k === 'Delete' || k === 'Backspace') { if (this._selected >= 0) { e.preventDefault(); this._deleteSelected(); } return; }
      if (k === 'Escape') {
        if (this._drag && this._drag.cancel) { this._drag.cancel(); this._drag = null; }
        else if (this._cancelCreate && this._cancelCreate(false)) { /* drawing cancelled */ } else this._select(-1);
        this._requestDraw();
        return;
      }
      if (k === '+' || k === '=') { e.preventDefault(); this._zoomBy(1.25); return; }
      if (k === '-' || k === '_') { e.preventDefault(); this._zoomBy(0.8); return; }
      if (k === '0') { e.preventDefault(); this._fit(); return; }
      if (k === ' ') { this._space = true; e.preventDefault(); return; }
      const arrows = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
      if (arrows[k]) {
        e.preventDefault();
        const [ax, ay] = arrows[k];
        if (this._selected >= 0) { const n = e.shiftKey ? 10 : 1; this._nudge(ax * n, ay * n); } else this._panBy(-ax * 40, -ay * 40);
      }
    }

    // ------------------------------------------------- crowd-form protocol
    get _crowdField() { return true; }
    _onConnect() { document.addEventListener('keydown', this._onKey); document.addEventListener('keyup', this._onKeyUp); }
    _onDisconnect() { document.removeEventListener('keydown', this._onKey); document.removeEventListener('keyup', this._onKeyUp); }

    _applyInitialValue() {
      const r = P.readStructured(this, 'initial-value', null);
      this._hasInitial = this.hasAttribute('initial-value');
      this._shapes = r.value === null || r.value === undefined ? [] : this._readInitial(r.value);
      if (this._imgState === 'loaded') this._clampAll();
      this._selected = -1;
      this._undo = []; this._redo = [];
      this._initialOut = JSON.stringify(this._shapes.map((s) => this._shapeOut(s)));
      if (r.error) this._status(r.error);
    }

    _imageProps() { return { height: this._natural.height, width: this._natural.width }; }

    _output() {
      const shapes = this._shapes.map((s) => this._shapeOut(s));
      const out = {};
      for (const key of this._outputOrder) {
        if (key === 'shapes') out[this._outputKey] = shapes;
        else if (key === 'inputImageProperties') out.inputImageProperties = this._imageProps();
      }
      if (this._hasInitial) out.initialValueModified = JSON.stringify(shapes) !== this._initialOut;
      return out;
    }
    get _outputOrder() { return ['inputImageProperties', 'shapes']; }
    _crowdContribute(answers) { answers[this.name] = this._output(); }
    _crowdValidate() {
      if (this._imgState === 'error') return 'The image could not be loaded, so it cannot be labeled.';
      if (this._imgState === 'loading') return 'The image is still loading.';
      return this._validateShapes ? this._validateShapes() : '';
    }
    _crowdReset() { this._applyInitialValue(); this._update(); }
  }

  P.ImageToolElement = ImageToolElement;
  P.IMAGE_TOOL_TAGS = 'crowd-bounding-box,crowd-polygon,crowd-keypoint,crowd-line,crowd-polyline';
  P.clamp = clamp;
})();
