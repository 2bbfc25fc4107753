/*
 * <crowd-entity-annotation>: highlight spans of a text and label them (NER).
 * Output: { "<name>": { "entities": [ { "endOffset", "label", "startOffset" } ] } }
 * (spec crowd-elements.md §5.13). Offsets count Unicode code points of the
 * decoded `text`, end exclusive, as Ground Truth's output does (groundtruth
 * spec §6.4.4, §6.4.7.6): JavaScript's UTF-16 indices are converted, and
 * spans never split a grapheme (an emoji, a letter with combining marks).
 *
 * Attributes: header, labels ([{label, shortDisplayName?, fullDisplayName?
 * (alias longDisplayName)}]), text, name, initial-value ([{label,
 * startOffset, endOffset}], code points), and the Plumbline extension
 * allow-overlap (nested and overlapping spans; off by default, as in AWS).
 * Regions: short-instructions, full-instructions.
 *
 * Interaction: select text with the mouse, or with the keyboard in the text
 * (arrows move a caret, Shift+arrows extend, Ctrl+Shift+arrows by word,
 * Home/End), then choose a label (its button or key 1..9). A click on a
 * highlight selects the entity (a span is only selected whole): a label
 * changes its label, Delete or its "x" removes it. Escape clears.
 *
 * Self-contained (spec §5.13): the shadow root holds a crowd-form whose
 * `.form` takes extra light-DOM controls; its Submit sends the answer. Inside
 * an outer crowd-form the outer one submits and includes the entities.
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];
  const COLORS = ['#2f6fdb', '#d9480f', '#2b8a3e', '#ae3ec9', '#e8590c', '#0c8599', '#c2255c', '#5c940d', '#1864ab', '#862e9c'];

  // Code points before UTF-16 index `u` of `text`, and the reverse.
  const cpOf = (text, u) => { let n = 0; for (let i = 0; i < u && i < text.length; n++) i += text.codePointAt(i) > 0xffff ? 2 : 1; return n; };
  const u16Of = (text, cp) => { let i = 0; for (let n = 0; n < cp && i < text.length; n++) i += text.codePointAt(i) > 0xffff ? 2 : 1; return i; };

  class CrowdEntityAnnotation extends P.CrowdElement {
    static get observedAttributes() { return ['header', 'labels', 'text', 'initial-value', 'allow-overlap']; }

    constructor() {
      super();
      this._regionNames = ['short-instructions', 'full-instructions'];
      this._entities = []; // {start, end (UTF-16), label}
      this._sel = null;    // {anchor, focus} UTF-16 grapheme boundaries
      this._picked = -1;   // index of the selected entity
      this._modified = false;
      this._onKey = (e) => this._handleKey(e);
    }

    // -------------------------------------------------------- properties
    get text() { return this.getAttribute('text') || ''; }
    get labels() {
      const v = P.readStructured(this, 'labels', []).value;
      return (Array.isArray(v) ? v : []).map((l) => (l && typeof l === 'object')
        ? { label: String(l.label ?? ''), short: String(l.shortDisplayName ?? l.label ?? ''), full: String(l.fullDisplayName ?? l.longDisplayName ?? l.label ?? '') }
        : { label: String(l), short: String(l), full: String(l) }).filter((l) => l.label);
    }
    get value() { return this._output(); }
    get _submittableValue() { return this._output(); }
    get form() { return this._innerForm ? this._innerForm.form : null; }

    // Grapheme boundaries of the text (UTF-16 indices), and word starts/ends.
    _bounds() {
      if (this._boundsFor === this.text) return this._boundsCache;
      const text = this.text;
      const g = [0], words = [0];
      if (typeof Intl !== 'undefined' && Intl.Segmenter) {
        for (const s of new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)) if (s.index) g.push(s.index);
        for (const s of new Intl.Segmenter(undefined, { granularity: 'word' }).segment(text)) {
          if (s.isWordLike) words.push(s.index, s.index + s.segment.length);
        }
      } else {
        for (let i = 0; i < text.length;) { i += text.codePointAt(i) > 0xffff ? 2 : 1; g.push(i); }
      }
      if (g[g.length - 1] !== text.length) g.push(text.length);
      words.push(text.length);
      this._boundsFor = text;
      this._boundsCache = { g, words: [...new Set(words)].sort((a, b) => a - b) };
      return this._boundsCache;
    }
    _snapDown(u) { const g = this._bounds().g; let b = 0; for (const x of g) { if (x <= u) b = x; else break; } return b; }
    _snapUp(u) { for (const x of this._bounds().g) if (x >= u) return x; return this.text.length; }
    _step(u, dir, byWord) {
      const list = byWord ? this._bounds().words : this._bounds().g;
      if (dir > 0) { for (const x of list) if (x > u) return x; return this.text.length; }
      let b = 0; for (const x of list) { if (x < u) b = x; else break; } return b;
    }

    // ------------------------------------------------------------ render
    _render() {
      this.shadowRoot.innerHTML = `
        <style>${P.BASE_CSS}${P.APP_CSS}
          .ner-text { background: var(--_surface); border: 1px solid var(--_border); border-radius: var(--_radius); padding: 22px 24px;
            font-size: 18px; line-height: 2.3; white-space: pre-wrap; overflow-wrap: anywhere; cursor: text; unicode-bidi: plaintext; }
          .ner-text:focus-visible { box-shadow: var(--_focus); }
          .seg.ent { border-radius: 3px; cursor: pointer; }
          .seg.pending { background: #ffe066 !important; }
          .seg.picked { outline: 2px solid var(--_text); outline-offset: 1px; }
          .caret { display: inline-block; width: 0; height: 1.2em; border-left: 2px solid var(--_primary); margin: 0 -1px; vertical-align: text-bottom; animation: blink 1s steps(1) infinite; }
          @keyframes blink { 50% { border-color: transparent; } }
          .tag { display: inline-flex; align-items: center; gap: 2px; font-size: 11px; font-weight: 700; color: #fff; border-radius: 4px;
            padding: 0 2px 0 5px; margin: 0 2px; line-height: 18px; vertical-align: super; unicode-bidi: isolate; }
          .tag button { border: 0; background: transparent; color: #fff; cursor: pointer; font-size: 13px; line-height: 1; padding: 0 3px; border-radius: 3px; }
          .tag button:hover { background: rgba(0,0,0,.25); }
          .label-button .swatch { width: 14px; height: 14px; border-radius: 3px; flex: none; }
          .label-button .short { color: var(--_muted); font-size: 12px; }
          .entity-list { list-style: none; margin: 0; padding: 0 16px 12px; display: flex; flex-direction: column; gap: 4px; font-size: 13px; }
          .entity-list li { display: flex; gap: 6px; align-items: center; }
          .entity-list .snippet { flex: 1; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; unicode-bidi: plaintext; }
          .status { color: var(--_muted); font-size: 13px; min-height: 1.2em; }
        </style>
        <crowd-form>
        <div class="app">
          <header class="headerContainer"><h1 class="headerTitle"></h1>
            <div class="headerButtonsContainer">
              <button type="button" class="btn toggle-instructions" aria-pressed="true">${P.icon('menu')}Instructions</button>
              <button type="button" class="btn shortcuts-button">${P.icon('keyboard')}Shortcuts</button></div></header>
          <div class="body">
            <nav class="awsui-app-layout__navigation" aria-label="Instructions"><h2 class="nav-title">Instructions</h2>
              <slot name="short-instructions"></slot>
              <button type="button" class="moreInstructionsLink">View full instructions</button></nav>
            <div class="annotation-area workspace">
              <div class="annotation-area target">
                <div class="ner-text" tabindex="0" role="textbox" aria-readonly="true" aria-multiline="true" aria-label="Text to annotate" dir="auto"></div>
                <div class="status" aria-live="polite"></div></div>
              <aside class="label-pane">
                <div class="category-picker-wrapper"><h2 class="picker-title">Labels</h2><div class="label-list"></div></div>
                <h2 class="picker-title" style="padding: 0 16px">Entities</h2><ul class="entity-list"></ul>
                <div class="label-pane-footer"><div class="field-error" role="alert" hidden></div>
                  <div class="submit-row"><span class="hint">Select text, then press a label's key</span>
                  <button type="submit" class="btn primary submit">Submit</button></div></div>
              </aside>
            </div>
          </div>
          ${P.modalHTML('full-instructions-modal', 'Instructions', '<slot name="full-instructions"></slot>')}
          ${P.modalHTML('shortcuts-modal', 'Keyboard shortcuts', `<ul class="shortcuts-list">
            <li><kbd>←</kbd> <kbd>→</kbd></li><li>Move the caret in the text</li>
            <li><kbd>Shift</kbd>+<kbd>←</kbd> <kbd>→</kbd></li><li>Extend the selection (with <kbd>Ctrl</kbd>: by word)</li>
            <li><kbd>1</kbd> … <kbd>9</kbd></li><li>Label the selection, or relabel the selected entity</li>
            <li><kbd>Delete</kbd></li><li>Remove the selected entity</li><li><kbd>Esc</kbd></li><li>Clear the selection</li></ul>`)}
        </div>
        </crowd-form>`;
      const sr = this.shadowRoot;
      this._innerForm = sr.querySelector('crowd-form');
      // The inner form collects the entities through this field.
      const field = document.createElement('span');
      field.hidden = true;
      Object.assign(field, { _crowdField: true, _crowdContribute: (a) => this._crowdContribute(a),
        _crowdValidate: () => '', _crowdReset: () => this._crowdReset() });
      Object.defineProperty(field, 'name', { get: () => this.name });
      sr.querySelector('.app').appendChild(field);
      sr.querySelectorAll('dialog').forEach(P.wireDialog);
      this._app = sr.querySelector('.app');
      sr.querySelector('.toggle-instructions').addEventListener('click', (e) => {
        e.currentTarget.setAttribute('aria-pressed', String(!this._app.classList.toggle('nav-hidden')));
      });
      sr.querySelector('.shortcuts-button').addEventListener('click', () => P.openDialog(sr.querySelector('.shortcuts-modal')));
      sr.querySelector('.moreInstructionsLink').addEventListener('click', () => P.openDialog(sr.querySelector('.full-instructions-modal')));
      sr.querySelector('.submit').addEventListener('click', (e) => {
        e.preventDefault();
        const outer = P.formOf(this);
        (outer || this._innerForm).submit();
      });
      const box = sr.querySelector('.ner-text');
      // Read at once: a key pressed right after must see the new selection.
      box.addEventListener('mouseup', (e) => { if (e.button === 0) this._takeMouseSelection(e); });
      box.addEventListener('keydown', (e) => this._textKey(e));
      this._applyInitialValue();
      this._update();
      this._regionsChanged();
    }

    _attributeChanged(name) {
      if (name === 'initial-value' && !this._modified) this._applyInitialValue();
      if (name === 'text') { this._sel = null; this._picked = -1; if (!this._modified) this._applyInitialValue(); }
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

    _applyInitialValue() {
      const v = P.readStructured(this, 'initial-value', []).value;
      const text = this.text;
      this._entities = (Array.isArray(v) ? v : []).filter((e) => e && e.label !== undefined)
        .map((e) => ({ start: u16Of(text, Number(e.startOffset) || 0), end: u16Of(text, Number(e.endOffset) || 0), label: String(e.label) }))
        .filter((e) => e.end > e.start);
    }

    _color(label) {
      const i = this.labels.findIndex((l) => l.label === label);
      return COLORS[(i < 0 ? 0 : i) % COLORS.length];
    }

    // Draws the text as segments between entity boundaries; each segment
    // carries its UTF-16 start, its entities' colours and their tags.
    _update() {
      const sr = this.shadowRoot;
      const box = sr.querySelector('.ner-text');
      if (!box) return;
      sr.querySelector('.headerTitle').textContent = this.getAttribute('header') || '';
      const text = this.text;
      const ents = this._entities;
      const selRange = this._selRange();
      const cuts = new Set([0, text.length]);
      for (const e of ents) { cuts.add(e.start); cuts.add(e.end); }
      if (selRange) { cuts.add(selRange[0]); cuts.add(selRange[1]); }
      if (this._sel && !selRange) cuts.add(this._sel.focus);
      const points = [...cuts].sort((a, b) => a - b);
      const frag = document.createDocumentFragment();
      const labels = this.labels;
      const tagFor = (e) => {
        const i = ents.indexOf(e);
        const t = document.createElement('span');
        t.className = 'tag';
        t.style.background = this._color(e.label);
        t.dataset.entity = String(i);
        const l = labels.find((x) => x.label === e.label);
        t.append(l ? l.short : e.label);
        const x = document.createElement('button');
        x.type = 'button';
        x.setAttribute('aria-label', `Remove ${e.label} "${text.slice(e.start, e.end)}"`);
        x.textContent = '×';
        x.addEventListener('click', (ev) => { ev.stopPropagation(); this._remove(i); });
        t.appendChild(x);
        return t;
      };
      for (let p = 0; p < points.length - 1 || (p === 0 && !text.length); p++) {
        const a = points[p], b = points[p + 1] ?? a;
        if (this._sel && !selRange && this._sel.focus === a) { const c = document.createElement('span'); c.className = 'caret'; frag.appendChild(c); }
        if (b <= a) continue;
        const seg = document.createElement('span');
        seg.className = 'seg';
        seg.dataset.start = String(a);
        seg.textContent = text.slice(a, b);
        const covering = ents.filter((e) => e.start <= a && e.end >= b).sort((x, y) => (y.end - y.start) - (x.end - x.start));
        if (covering.length) {
          seg.classList.add('ent');
          const inner = covering[covering.length - 1];
          seg.style.background = this._color(inner.label) + '2e';
          seg.style.boxShadow = covering.map((e, d) => `inset 0 -${3 + 3 * d}px 0 ${this._color(e.label)}`).reverse().join(', ');
          if (this._picked >= 0 && covering.includes(ents[this._picked])) seg.classList.add('picked');
        }
        if (selRange && a >= selRange[0] && b <= selRange[1]) seg.classList.add('pending');
        frag.appendChild(seg);
        for (const e of ents.filter((x) => x.end === b).sort((x, y) => y.start - x.start)) frag.appendChild(tagFor(e));
      }
      if (this._sel && !selRange && this._sel.focus === text.length && text.length) { const c = document.createElement('span'); c.className = 'caret'; frag.appendChild(c); }
      box.replaceChildren(frag);
      this._renderLabels();
      this._renderList();
    }

    _renderLabels() {
      const list = this.shadowRoot.querySelector('.label-list');
      list.replaceChildren();
      this.labels.forEach((l, i) => {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'category-button label-button';
        b.dataset.label = l.label;
        if (i < 9) b.setAttribute('aria-keyshortcuts', String(i + 1));
        b.innerHTML = `${i < 9 ? `<span class="key" aria-hidden="true">${i + 1}</span>` : ''}<span class="swatch"></span><span class="text"></span><span class="short"></span>`;
        b.querySelector('.swatch').style.background = COLORS[i % COLORS.length];
        b.querySelector('.text').textContent = l.full;
        b.querySelector('.short').textContent = l.short !== l.full ? l.short : '';
        b.addEventListener('mousedown', (e) => e.preventDefault()); // keep the text selection
        b.addEventListener('click', () => this._applyLabel(l.label));
        list.appendChild(b);
      });
    }

    _renderList() {
      const ul = this.shadowRoot.querySelector('.entity-list');
      ul.replaceChildren();
      const text = this.text;
      this._sorted().forEach((e) => {
        const li = document.createElement('li');
        li.innerHTML = '<span class="swatch" style="width:10px;height:10px;border-radius:2px"></span><span class="snippet"></span><span class="lab"></span>';
        li.querySelector('.swatch').style.background = this._color(e.label);
        li.querySelector('.snippet').textContent = text.slice(e.start, e.end);
        li.querySelector('.lab').textContent = e.label;
        ul.appendChild(li);
      });
      if (!this._entities.length) ul.innerHTML = '<li class="status">None yet</li>';
    }

    _selRange() {
      if (!this._sel || this._sel.anchor === this._sel.focus) return null;
      return [Math.min(this._sel.anchor, this._sel.focus), Math.max(this._sel.anchor, this._sel.focus)];
    }

    _status(msg) { const s = this.shadowRoot.querySelector('.status'); if (s) s.textContent = msg || ''; }

    // ------------------------------------------------------- selection
    // A DOM point inside the text box as a UTF-16 index of the text.
    _indexOf(node, offset) {
      const box = this.shadowRoot.querySelector('.ner-text');
      // A point in an entity's tag is the end of that entity (tags follow it).
      const tag = (node.nodeType === Node.TEXT_NODE ? node.parentElement : node).closest('.tag');
      if (tag && box.contains(tag)) {
        const e = this._entities[Number(tag.dataset.entity)];
        if (e) return e.end;
      }
      if (node.nodeType === Node.TEXT_NODE) {
        const seg = node.parentElement && node.parentElement.closest('.seg');
        if (seg && box.contains(seg)) return Number(seg.dataset.start) + offset;
        node = node.parentElement; offset = 0;
      }
      // An element and a child index: the first segment at or after that
      // child, or the end of the last one before it.
      const segs = [...box.querySelectorAll('.seg')];
      const child = node.childNodes[offset] || null;
      if (child) {
        for (const seg of segs) {
          if (seg === child || child.contains(seg) || (child.compareDocumentPosition(seg) & Node.DOCUMENT_POSITION_FOLLOWING)) return Number(seg.dataset.start);
        }
        return this.text.length;
      }
      let end = 0;
      for (const seg of segs) {
        if (node.contains(seg) || (node.compareDocumentPosition(seg) & Node.DOCUMENT_POSITION_PRECEDING)) end = Number(seg.dataset.start) + seg.textContent.length;
      }
      return end;
    }

    _nativeRange() {
      const sr = this.shadowRoot;
      const sel = document.getSelection();
      if (sel && sel.rangeCount && typeof sel.getComposedRanges === 'function') {
        const r = sel.getComposedRanges({ shadowRoots: [sr] })[0];
        if (r) return { sc: r.startContainer, so: r.startOffset, ec: r.endContainer, eo: r.endOffset, clear: () => sel.removeAllRanges() };
      }
      const s = typeof sr.getSelection === 'function' ? sr.getSelection() : sel;
      if (!s || !s.rangeCount) return null;
      const r = s.getRangeAt(0);
      return { sc: r.startContainer, so: r.startOffset, ec: r.endContainer, eo: r.endOffset, clear: () => s.removeAllRanges() };
    }

    _takeMouseSelection(e) {
      const box = this.shadowRoot.querySelector('.ner-text');
      const r = this._nativeRange();
      if (!r || !box.contains(r.sc) || !box.contains(r.ec)) return;
      let a = this._indexOf(r.sc, r.so), b = this._indexOf(r.ec, r.eo);
      if (a === b) {
        if (e.target.closest && e.target.closest('.tag')) return; // its button
        // A click: on an entity it picks the entity; elsewhere the caret
        // goes there, for the keyboard to extend.
        const seg = e.target.closest && e.target.closest('.seg.ent');
        if (seg) {
          const start = Number(seg.dataset.start);
          r.clear();
          this._pickAt(Math.min(Math.max(a, start), start + seg.textContent.length - 1));
          box.focus({ preventScroll: true });
          return;
        }
        const at = this._snapDown(a);
        this._sel = { anchor: at, focus: at };
        this._update();
        box.focus({ preventScroll: true });
        return;
      }
      if (a > b) [a, b] = [b, a];
      r.clear();
      this._select(a, b);
      box.focus({ preventScroll: true });
    }

    // Sets the pending selection: trimmed of white space, widened to whole
    // graphemes; a selection within one entity selects that entity.
    _select(a, b) {
      const text = this.text;
      while (a < b && /\s/.test(text[a])) a++;
      while (b > a && /\s/.test(text[b - 1])) b--;
      a = this._snapDown(a); b = this._snapUp(b);
      this._picked = -1;
      if (a >= b) { this._sel = null; this._update(); return; }
      if (!this.hasAttribute('allow-overlap') || P.boolAttr(this, 'allow-overlap') === false) {
        const inside = this._entities.findIndex((e) => e.start <= a && e.end >= b);
        if (inside >= 0) { this._sel = null; this._picked = inside; this._status('Entity selected: choose a label to change it, Delete to remove it.'); this._update(); return; }
      }
      this._sel = { anchor: a, focus: b };
      this._status('');
      this._update();
    }

    _pickAt(u) {
      const covering = this._entities.map((e, i) => [e, i]).filter(([e]) => e.start <= u && e.end > u)
        .sort(([x], [y]) => (x.end - x.start) - (y.end - y.start));
      this._sel = null;
      if (!covering.length) { this._picked = -1; this._update(); return; }
      this._picked = covering[0][1];
      this._status('Entity selected: choose a label to change it, Delete to remove it.');
      this._update();
    }

    _textKey(e) {
      if (e.ctrlKey && !e.shiftKey && !/^Arrow/.test(e.key)) return;
      const text = this.text;
      const rtl = getComputedStyle(this.shadowRoot.querySelector('.ner-text')).direction === 'rtl';
      let to = null;
      const cur = this._sel ? this._sel.focus : 0;
      if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
        const dir = (e.key === 'ArrowRight') !== rtl ? 1 : -1;
        to = this._step(cur, dir, e.ctrlKey || e.altKey);
      } else if (e.key === 'Home') to = 0;
      else if (e.key === 'End') to = text.length;
      else return;
      e.preventDefault();
      this._picked = -1;
      if (e.shiftKey && this._sel) this._sel = { anchor: this._sel.anchor, focus: to };
      else this._sel = { anchor: to, focus: to };
      this._status('');
      this._update();
    }

    _handleKey(e) {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || P.isTypingTarget(e)) return;
      if (document.querySelector('crowd-entity-annotation') !== this) return;
      if (/^[1-9]$/.test(e.key)) {
        const l = this.labels[Number(e.key) - 1];
        if (l) { e.preventDefault(); this._applyLabel(l.label); }
      } else if ((e.key === 'Delete' || e.key === 'Backspace') && this._picked >= 0) {
        e.preventDefault();
        this._remove(this._picked);
      } else if (e.key === 'Escape') {
        this._sel = null; this._picked = -1; this._status(''); this._update();
      }
    }

    _applyLabel(label) {
      if (this.disabled) return;
      if (this._picked >= 0) {
        this._entities[this._picked].label = label;
        this._changed();
        return;
      }
      const r = this._selRange();
      if (!r) { this._status('Select some text first.'); return; }
      const [a, b] = r;
      const overlap = this._entities.some((e) => e.start < b && e.end > a);
      if (overlap && !P.boolAttr(this, 'allow-overlap')) { this._status('A new entity cannot overlap another one.'); return; }
      if (this._entities.some((e) => e.start === a && e.end === b && e.label === label)) { this._status('That entity is already there.'); return; }
      this._entities.push({ start: a, end: b, label });
      this._sel = { anchor: b, focus: b };
      this._changed();
    }

    _remove(i) {
      this._entities.splice(i, 1);
      this._picked = -1;
      this._changed();
    }

    _changed() {
      this._modified = true;
      this._status('');
      this._update();
      this.dispatchEvent(new Event('change', { bubbles: true }));
    }

    _sorted() { return this._entities.slice().sort((x, y) => x.start - y.start || x.end - y.end || (x.label < y.label ? -1 : 1)); }

    // ------------------------------------------------- crowd-form protocol
    _onConnect() { document.addEventListener('keydown', this._onKey); }
    _onDisconnect() { document.removeEventListener('keydown', this._onKey); }
    // An outer crowd-form finds the host; the inner one finds the field.
    get _crowdField() { return !!P.formOf(this); }
    _output() {
      const text = this.text;
      const out = { entities: this._sorted().map((e) => ({ endOffset: cpOf(text, e.end), label: e.label, startOffset: cpOf(text, e.start) })) };
      if (this.hasAttribute('initial-value')) out.initialValueModified = this._modified;
      return out;
    }
    _crowdContribute(answers) { answers[this.name] = this._output(); }
    _crowdValidate() { return ''; }
    _crowdReset() { this._modified = false; this._sel = null; this._picked = -1; this._applyInitialValue(); this._update(); }
  }

  P.define('crowd-entity-annotation', CrowdEntityAnnotation);
})();
