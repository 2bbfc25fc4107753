/*
 * <crowd-classifier>: choose exactly one category for the classification target.
 * Output: { "<name>": { "label": "<category>" } }   (spec crowd-elements.md §5.1)
 *
 * This file also holds P.ClassifierElement, the shared implementation of the
 * three variants (multi-select, image, image multi-select); their files only
 * set the options and define the tag.
 *
 * Shadow DOM contract (spec §2.6, §6 rows 6, 6b, 6c, 18, 20-22):
 *   .headerContainer > .headerButtonsContainer, .awsui-app-layout__navigation,
 *   .moreInstructionsLink, dialog.awsui-modal-dialog,
 *   .annotation-area.target (first child: a styleable wrapper around the slot),
 *   .annotation-area .category-picker-wrapper with button.category-button in order
 *   (page scripts append their own nodes to the wrapper; category re-renders
 *   only touch the inner .category-list), and a [type=submit] Submit button.
 * Properties: categories (get/set, fresh array), value (string; array for
 * multi-select), `change` event on the host. Keys 1..9, 0 choose categories.
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];
  const CLASSIFIER_TAGS = 'crowd-classifier,crowd-classifier-multi-select,crowd-image-classifier,crowd-image-classifier-multi-select';

  const categoryText = (c) => {
    if (c !== null && typeof c === 'object') return String(c.label ?? c.name ?? c.text ?? c.value ?? JSON.stringify(c));
    return String(c);
  };

  class ClassifierElement extends P.CrowdElement {
    static get observedAttributes() { return ['categories', 'header', 'initial-value', 'exclusion-category', 'src', 'overlay']; }
    // Variants override these.
    static get multi() { return false; }
    static get image() { return false; }

    constructor() {
      super();
      this._regionNames = ['short-instructions', 'full-instructions', 'classification-target', 'worker-comment'];
      this._selected = [];
      this._categoriesProp = null;
      this._comment = '';
      this._touched = false;
      this._onKey = (e) => this._handleKey(e);
    }

    get _multi() { return this.constructor.multi; }
    get _image() { return this.constructor.image; }

    // -------------------------------------------------------- properties
    get categories() {
      if (this._categoriesProp) return this._categoriesProp.slice();
      const r = P.readStructured(this, 'categories', []);
      return Array.isArray(r.value) ? r.value.slice() : [];
    }
    set categories(v) {
      this._categoriesProp = Array.isArray(v) ? v.slice() : [];
      const valid = new Set(this._choices().map((c) => c.text));
      this._selected = this._selected.filter((s) => valid.has(s));
      this._renderCategories();
    }
    get value() { return this._multi ? this._selected.slice() : (this._selected[0] || ''); }
    set value(v) {
      const arr = v === null || v === undefined || v === '' ? [] : (Array.isArray(v) ? v.map(String) : [String(v)]);
      this._selected = this._multi ? arr : arr.slice(0, 1);
      this._syncButtons();
    }
    get exclusionCategory() { return P.readStructured(this, 'exclusion-category', null).value; }
    get initialValue() { return P.readStructured(this, 'initial-value', null).value; }
    get _submittableValue() { return this._output(); }

    // Choices in display order: the categories, then the exclusion choice.
    _choices() {
      const list = this.categories.map((c) => ({ text: categoryText(c), exclusion: false }));
      const ex = this.exclusionCategory;
      if (ex) {
        const text = typeof ex === 'object' ? String(ex.text ?? ex.label ?? 'None of the above') : String(ex);
        list.push({ text, exclusion: true });
      }
      return list;
    }

    // ------------------------------------------------------------ render
    _render() {
      const multi = this._multi;
      const image = this._image;
      const target = image
        ? `<div class="image-frame"><div class="image-wrap"><img class="target-image" alt="Image to classify"><img class="overlay-mask" alt="" hidden><svg class="overlay" hidden></svg></div></div>
           <div class="overlay-bar" hidden><label><input type="checkbox" class="overlay-toggle" checked> Show the earlier labels</label><ul class="overlay-legend"></ul></div>`
        : `<div class="target-card"><slot name="classification-target"></slot></div>`;
      this.shadowRoot.innerHTML = `
        <style>${P.BASE_CSS}${P.APP_CSS}
          .image-frame { flex: 1; display: flex; align-items: center; justify-content: center; min-height: 300px;
            background: repeating-conic-gradient(#eceef3 0% 25%, #f7f8fa 0% 50%) 50% / 20px 20px; border-radius: var(--_radius);
            border: 1px solid var(--_border); overflow: auto; }
          .image-wrap { position: relative; display: inline-block; line-height: 0; }
          .target-image { display: block; max-width: 100%; max-height: calc(100vh - 220px); min-height: 40px; object-fit: contain; cursor: zoom-in; }
          .zoomed .target-image { max-width: none; max-height: none; cursor: zoom-out; }
          .zoomed.image-frame { align-items: flex-start; justify-content: flex-start; }
          .overlay { position: absolute; inset: 0; width: 100%; height: 100%; pointer-events: none; }
          .overlay rect { fill: rgba(255, 127, 14, .12); stroke: #ff7f0e; stroke-width: 2; vector-effect: non-scaling-stroke; }
          .overlay text { fill: #fff; font: 600 12px var(--_font); paint-order: stroke; stroke: #ff7f0e; stroke-width: 3px; }
          .overlay-mask { position: absolute; inset: 0; width: 100%; height: 100%; opacity: .5; pointer-events: none; image-rendering: pixelated; }
          .overlays-off .overlay, .overlays-off .overlay-mask { visibility: hidden; }
          .overlay-bar { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 16px; margin-top: 8px; font-size: 13px; color: var(--_muted); }
          .overlay-legend { display: flex; flex-wrap: wrap; gap: 4px 12px; margin: 0; padding: 0; list-style: none; }
          .overlay-legend li { display: inline-flex; align-items: center; gap: 6px; }
          .overlay-legend .swatch { width: 12px; height: 12px; border-radius: 3px; border: 1px solid rgba(0,0,0,.25); }
          .category-list { display: flex; flex-direction: column; gap: 8px; border-radius: var(--_radius); }
          .category-list:focus { outline: none; }
          .comment-status { color: var(--_muted); font-size: 13px; }
          textarea.comment { width: 100%; min-height: 120px; font: inherit; padding: 10px; border-radius: 6px; border: 1px solid var(--_border); margin-top: 12px; }
          .modal-foot { display: flex; justify-content: flex-end; gap: 8px; padding: 0 20px 18px; }
        </style>
        <div class="app${multi ? ' multi' : ''}">
          <header class="headerContainer">
            <h1 class="headerTitle"></h1>
            <div class="headerButtonsContainer">
              <button type="button" class="btn toggle-instructions" aria-pressed="true">${P.icon('menu')}Instructions</button>
              <button type="button" class="btn shortcuts-button">${P.icon('keyboard')}Shortcuts</button>
            </div>
          </header>
          <div class="body">
            <nav class="awsui-app-layout__navigation" aria-label="Instructions">
              <h2 class="nav-title">Instructions</h2>
              <slot name="short-instructions"></slot>
              <button type="button" class="moreInstructionsLink">View full instructions</button>
            </nav>
            <div class="annotation-area workspace">
              <div class="annotation-area target">${target}<div class="extra"><slot></slot></div></div>
              <aside class="label-pane">
                <div class="category-picker-wrapper">
                  <h2 class="picker-title">${multi ? 'Choose all that apply' : 'Choose one'}</h2>
                  <div class="category-list" tabindex="-1" aria-label="Categories" role="${multi ? 'group' : 'radiogroup'}"></div>
                </div>
                <div class="label-pane-footer">
                  ${image ? '<div><button type="button" class="btn link comment-link"></button> <span class="comment-status"></span></div>' : ''}
                  <div class="field-error" role="alert" hidden></div>
                  <div class="submit-row"><span class="hint"></span><button type="submit" class="btn primary submit">Submit</button></div>
                </div>
              </aside>
            </div>
          </div>
          ${P.modalHTML('full-instructions-modal', 'Instructions', '<slot name="full-instructions"></slot>')}
          ${P.modalHTML('shortcuts-modal', 'Keyboard shortcuts', `<ul class="shortcuts-list">
              <li><kbd>1</kbd> … <kbd>9</kbd>, <kbd>0</kbd></li><li>${multi ? 'Toggle' : 'Choose'} category 1 … 10</li>
              <li><kbd>Tab</kbd></li><li>Move between categories and buttons</li>
              <li><kbd>Space</kbd></li><li>${multi ? 'Toggle' : 'Choose'} the focused category</li></ul>`)}
          ${image ? P.modalHTML('comment-modal', 'Add a comment', '<slot name="worker-comment"></slot><textarea class="comment" aria-label="Comment"></textarea>',
            '<div class="modal-foot"><button type="button" class="btn comment-cancel">Cancel</button><button type="button" class="btn primary comment-save">Save comment</button></div>') : ''}
        </div>`;
      const sr = this.shadowRoot;
      this._app = sr.querySelector('.app');
      sr.querySelectorAll('dialog').forEach(P.wireDialog);
      sr.querySelector('.toggle-instructions').addEventListener('click', (e) => {
        const hidden = this._app.classList.toggle('nav-hidden');
        e.currentTarget.setAttribute('aria-pressed', String(!hidden));
      });
      sr.querySelector('.shortcuts-button').addEventListener('click', () => P.openDialog(sr.querySelector('.shortcuts-modal')));
      sr.querySelector('.moreInstructionsLink').addEventListener('click', () => P.openDialog(sr.querySelector('.full-instructions-modal')));
      sr.querySelector('.submit').addEventListener('click', () => {
        const form = P.formOf(this);
        if (form && typeof form.submit === 'function') form.submit();
      });
      if (image) {
        const frame = sr.querySelector('.image-frame');
        sr.querySelector('.target-image').addEventListener('click', () => frame.classList.toggle('zoomed'));
        sr.querySelector('.target-image').addEventListener('load', () => this._renderOverlay());
        sr.querySelector('.overlay-toggle').addEventListener('change', (e) => frame.classList.toggle('overlays-off', !e.currentTarget.checked));
        const dlg = sr.querySelector('.comment-modal');
        sr.querySelector('.comment-link').addEventListener('click', () => {
          dlg.querySelector('textarea').value = this._comment;
          P.openDialog(dlg);
          dlg.querySelector('textarea').focus();
        });
        sr.querySelector('.comment-cancel').addEventListener('click', () => dlg.close());
        sr.querySelector('.comment-save').addEventListener('click', () => {
          this._comment = dlg.querySelector('textarea').value.trim();
          this._touched = true;
          this._syncComment();
          dlg.close();
        });
      }
      if (window.innerWidth < 720) {
        this._app.classList.add('nav-hidden');
        sr.querySelector('.toggle-instructions').setAttribute('aria-pressed', 'false');
      }
      // Templates append their own (often bigger) Submit button to the label pane
      // (the seed does); then ours would be a duplicate, so it steps aside.
      const wrapper = sr.querySelector('.category-picker-wrapper');
      new MutationObserver(() => {
        const own = [...wrapper.children].filter((n) => !n.classList.contains('picker-title') && !n.classList.contains('category-list'));
        const pageSubmit = own.some((n) => n.matches('button, [type="submit"], crowd-button') && /^\s*submit\s*$/i.test(n.textContent));
        sr.querySelector('.submit').hidden = pageSubmit;
      }).observe(wrapper, { childList: true });
      this._applyInitialValue();
      this._updateHeader();
      this._updateSrc();
      this._renderCategories();
      this._regionsChanged();
    }

    _attributeChanged(name) {
      if (name === 'header') this._updateHeader();
      else if (name === 'src' || name === 'overlay') this._updateSrc();
      else if (name === 'initial-value') { if (!this._touched) this._applyInitialValue(); this._syncButtons(); }
      else this._renderCategories();
    }

    _updateHeader() {
      const h = this.shadowRoot.querySelector('.headerTitle');
      if (h) h.textContent = this.getAttribute('header') || '';
    }

    _updateSrc() {
      if (!this._image) return;
      const img = this.shadowRoot.querySelector('.target-image');
      const src = this.getAttribute('src');
      if (src && img.getAttribute('src') !== src) img.setAttribute('src', src);
      this._renderOverlay();
    }

    // Draws the earlier labels a verification task shows (spec §5.3):
    // overlay.boundingBox boxes in the image's natural-pixel space, or the
    // mask PNG of overlay.semanticSegmentation / instanceSegmentation laid
    // over the image at half opacity; a legend names the labels and colours,
    // and a checkbox hides them to see the image alone.
    _renderOverlay() {
      const sr = this.shadowRoot;
      const svg = sr.querySelector('.overlay');
      const img = sr.querySelector('.target-image');
      const mask = sr.querySelector('.overlay-mask');
      const bar = sr.querySelector('.overlay-bar');
      if (!svg || !img) return;
      const ov = P.readStructured(this, 'overlay', null).value || {};
      const boxes = ov.boundingBox && Array.isArray(ov.boundingBox.value) ? ov.boundingBox.value : [];
      const seg = ov.semanticSegmentation || ov.instanceSegmentation || null;
      const legend = [];
      if (seg && typeof seg.src === 'string' && seg.src) {
        if (mask.getAttribute('src') !== seg.src) mask.setAttribute('src', seg.src);
        mask.hidden = false;
        if (ov.semanticSegmentation) {
          const maps = seg.labelMappings || {};
          for (const label of Object.keys(maps)) legend.push([label, maps[label] && maps[label].color]);
        } else {
          for (const inst of Array.isArray(seg.instances) ? seg.instances : []) legend.push([inst.label, inst.color]);
        }
      } else {
        mask.hidden = true;
        mask.removeAttribute('src');
      }
      if (boxes.length && img.naturalWidth) {
        const ns = 'http://www.w3.org/2000/svg';
        svg.setAttribute('viewBox', `0 0 ${img.naturalWidth} ${img.naturalHeight}`);
        svg.setAttribute('preserveAspectRatio', 'none');
        svg.replaceChildren();
        for (const b of boxes) {
          const r = document.createElementNS(ns, 'rect');
          for (const [k, a] of [['left', 'x'], ['top', 'y'], ['width', 'width'], ['height', 'height']]) r.setAttribute(a, Number(b[k]) || 0);
          svg.appendChild(r);
          if (b.label) {
            const t = document.createElementNS(ns, 'text');
            t.setAttribute('x', (Number(b.left) || 0) + 4);
            t.setAttribute('y', (Number(b.top) || 0) + 16);
            t.textContent = b.label;
            svg.appendChild(t);
          }
        }
        for (const label of new Set(boxes.map((b) => b.label).filter(Boolean))) legend.push([label, '#ff7f0e']);
      }
      // An SVG element has no `hidden` property: the attribute it is.
      const drawn = boxes.length > 0 && img.naturalWidth > 0;
      svg.toggleAttribute('hidden', !drawn);
      const color = (c) => (typeof c === 'string' && /^#[0-9a-f]{3,8}$/i.test(c.trim()) ? c.trim() : '#888');
      sr.querySelector('.overlay-legend').replaceChildren(...legend.map(([label, c]) => {
        const li = document.createElement('li');
        const sw = document.createElement('span');
        sw.className = 'swatch';
        sw.style.background = color(c);
        li.append(sw, String(label == null ? '' : label));
        return li;
      }));
      bar.hidden = mask.hidden && !drawn;
    }

    _regionsChanged() {
      const sr = this.shadowRoot;
      const nav = sr.querySelector('.awsui-app-layout__navigation');
      if (!nav) return;
      const short = this._region('short-instructions');
      const full = this._region('full-instructions');
      sr.querySelector('.nav-title').textContent = (short && short.getAttribute('header')) || 'Instructions';
      sr.querySelector('.moreInstructionsLink').hidden = !full;
      sr.querySelector('.full-instructions-modal .modal-title').textContent = (full && full.getAttribute('header')) || 'Instructions';
      const hasInstr = !!(short || full);
      nav.hidden = !hasInstr;
      sr.querySelector('.toggle-instructions').hidden = !hasInstr;
      if (this._image) {
        const wc = this._region('worker-comment');
        const link = sr.querySelector('.comment-link');
        link.parentElement.hidden = !wc;
        link.textContent = (wc && wc.getAttribute('link-text')) || 'Add a comment';
        sr.querySelector('.comment-modal .modal-title').textContent = (wc && wc.getAttribute('header')) || 'Add a comment';
        sr.querySelector('.comment-modal textarea').placeholder = (wc && wc.getAttribute('placeholder')) || '';
      }
    }

    _applyInitialValue() {
      const raw = this.getAttribute('initial-value');
      if (raw === null || raw.trim() === '') { this._selected = []; return; }
      let v = raw.trim();
      if (/^[[{"']/.test(v)) { try { v = P.parseLoose(v); } catch (e) { /* plain text */ } }
      const arr = Array.isArray(v) ? v.map(categoryText) : [categoryText(v)];
      this._selected = this._multi ? arr : arr.slice(0, 1);
    }

    _renderCategories() {
      const list = this.shadowRoot.querySelector('.category-list');
      if (!list) return;
      const err = P.readStructured(this, 'categories', []).error || (this.hasAttribute('exclusion-category') && P.readStructured(this, 'exclusion-category', null).error);
      this._attrError = this._categoriesProp ? '' : (err || '');
      list.replaceChildren();
      if (this._attrError) {
        const d = document.createElement('div');
        d.className = 'field-error';
        d.textContent = this._attrError;
        list.appendChild(d);
      }
      const choices = this._choices();
      choices.forEach((c, i) => {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'category-button' + (c.exclusion ? ' exclusion' : '');
        b.setAttribute('role', this._multi ? 'checkbox' : 'radio');
        b.dataset.category = c.text;
        const key = i < 10 ? String((i + 1) % 10) : '';
        b.innerHTML = `${key ? `<span class="key" aria-hidden="true">${key}</span>` : ''}<span class="text"></span><span class="mark" aria-hidden="true"></span>`;
        b.querySelector('.text').textContent = c.text;
        if (key) b.setAttribute('aria-keyshortcuts', key);
        b.addEventListener('click', () => this._choose(c.text, c.exclusion));
        list.appendChild(b);
      });
      const hint = this.shadowRoot.querySelector('.hint');
      if (hint) hint.innerHTML = choices.length > 1 ? `Keys <kbd>1</kbd>–<kbd>${Math.min(choices.length, 10) % 10}</kbd>` : '';
      this._syncButtons();
    }

    _syncButtons() {
      const sel = new Set(this._selected);
      const exclusionOn = this._multi && this._choices().some((c) => c.exclusion && sel.has(c.text));
      for (const b of this.shadowRoot.querySelectorAll('.category-button')) {
        const on = sel.has(b.dataset.category);
        b.classList.toggle('selected', on);
        b.setAttribute('aria-checked', String(on));
        b.disabled = exclusionOn && !b.classList.contains('exclusion');
      }
      this._syncComment();
    }

    _syncComment() {
      const st = this.shadowRoot.querySelector('.comment-status');
      if (st) st.textContent = this._comment ? '✓ comment added' : '';
    }

    _choose(text, exclusion) {
      if (this.disabled) return;
      if (!this._multi) {
        this._selected = [text];
      } else if (exclusion) {
        this._selected = this._selected.includes(text) ? [] : [text];
      } else {
        const ex = this._choices().find((c) => c.exclusion);
        const cur = this._selected.filter((s) => !ex || s !== ex.text);
        this._selected = cur.includes(text) ? cur.filter((s) => s !== text) : cur.concat([text]);
      }
      this._touched = true;
      this._syncButtons();
      this._setError('');
      this.dispatchEvent(new Event('change', { bubbles: true }));
    }

    _setError(msg) {
      const e = this.shadowRoot.querySelector('.label-pane-footer .field-error');
      if (!e) return;
      e.textContent = msg;
      e.hidden = !msg;
    }

    // ------------------------------------------------------------ keys
    _onConnect() { document.addEventListener('keydown', this._onKey); }
    _onDisconnect() { document.removeEventListener('keydown', this._onKey); }

    _handleKey(e) {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
      if (!/^[0-9]$/.test(e.key) || P.isTypingTarget(e)) return;
      if (document.querySelector(CLASSIFIER_TAGS) !== this) return; // only the first classifier on the page
      const idx = e.key === '0' ? 9 : Number(e.key) - 1;
      const b = this.shadowRoot.querySelectorAll('.category-button')[idx];
      if (!b || b.disabled) return;
      b.click();
    }

    // ------------------------------------------------- crowd-form protocol
    get _crowdField() { return true; }
    _output() {
      const out = this._multi ? { labels: this._selected.slice() } : { label: this._selected[0] || '' };
      if (this._image && this._comment) out.workerComment = this._comment;
      return out;
    }
    _crowdContribute(answers) { answers[this.name] = this._output(); }
    _crowdValidate() {
      let msg = this._attrError || '';
      if (!msg && !this._selected.length) {
        msg = this._multi ? 'Choose at least one category before submitting.' : 'Choose a category before submitting.';
      }
      this._setError(msg);
      return msg;
    }
    // Focuses the list, not a button: a refusal often comes from an Enter
    // keydown, and a focused button would then be activated by that same key.
    _crowdFocus() {
      const list = this.shadowRoot.querySelector('.category-list');
      if (list) list.focus();
    }
    _crowdReset() {
      this._touched = false;
      this._comment = '';
      this._applyInitialValue();
      this._syncButtons();
      this._setError('');
      // A still-focused category button would be re-chosen by the next Enter
      // (page hotkeys such as the seed's submit on Enter), so let focus go.
      const active = this.shadowRoot.activeElement;
      if (active && active.classList.contains('category-button')) active.blur();
    }
  }
  P.ClassifierElement = ClassifierElement;

  P.define('crowd-classifier', class CrowdClassifier extends ClassifierElement {});
})();
