/*
 * <crowd-slider>: a numeric slider (spec crowd-elements.md §4.6).
 * Attributes: min (0), max (100), step (1), value (min), disabled, editable
 * (adds a number box), pin (shows the value), required (the worker must move it),
 * secondary-progress (second bar; colour --crowd-slider-secondary-color), name.
 * `value` is a number; `input` while dragging, `change` on commit, on the host.
 * Output: { "<name>": <number> }.
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];
  const num = (v, d) => { const n = parseFloat(v); return Number.isFinite(n) ? n : d; };

  P.define('crowd-slider', class CrowdSlider extends P.CrowdElement {
    static get observedAttributes() { return ['min', 'max', 'step', 'value', 'disabled', 'editable', 'pin', 'secondary-progress']; }
    constructor() { super(); this._pending = null; this._touched = false; }

    _render() {
      this.shadowRoot.innerHTML = `<style>${P.BASE_CSS}
          :host { display: block; margin: 10px 0 16px; max-width: 560px; }
          .row { display: flex; align-items: center; gap: 12px; }
          .track { position: relative; flex: 1; display: flex; align-items: center; height: 28px; }
          .secondary { position: absolute; left: 0; height: 6px; border-radius: 3px; top: 11px;
            background: var(--crowd-slider-secondary-color, #c9b8e3); pointer-events: none; }
          input[type=range] { position: relative; width: 100%; margin: 0; accent-color: var(--_primary); height: 28px; background: transparent; cursor: pointer; }
          input[type=range]:disabled { cursor: not-allowed; opacity: .5; }
          .pin { min-width: 3ch; padding: 2px 8px; border-radius: 6px; background: var(--_primary-soft); color: var(--_primary);
            font-weight: 650; font-variant-numeric: tabular-nums; text-align: center; }
          :host(:not([data-touched])[required]) .pin { background: var(--_canvas); color: var(--_muted); }
          input[type=number] { width: 6em; font: inherit; padding: 6px 8px; border: 1px solid var(--_border); border-radius: 6px; }
          .error { color: var(--_danger); font-size: 13px; font-weight: 600; }
        </style>
        <div class="row"><div class="track"><div class="secondary" hidden></div><input type="range" part="range"></div>
        <span class="pin" hidden></span><input type="number" class="edit" hidden aria-label="Value"></div>
        <div class="error" role="alert" hidden></div><slot></slot>`;
      const r = this._range = this.shadowRoot.querySelector('input[type=range]');
      const ed = this.shadowRoot.querySelector('.edit');
      this._sync();
      r.value = String(this._pending !== null ? this._pending : this._initial());
      this._pending = null;
      r.addEventListener('input', () => { this._touch(); this._show(); });
      r.addEventListener('change', () => { this._touch(); this.dispatchEvent(new Event('change', { bubbles: true })); });
      ed.addEventListener('change', () => {
        r.value = ed.value;
        this._touch();
        this._show();
        this.dispatchEvent(new Event('change', { bubbles: true }));
      });
      this._show();
    }
    _initial() { return num(this.getAttribute('value'), num(this.getAttribute('min'), 0)); }
    _sync() {
      const r = this._range;
      if (!r) return;
      const min = num(this.getAttribute('min'), 0);
      const max = num(this.getAttribute('max'), 100);
      const step = this.getAttribute('step');
      for (const el of [r, this.shadowRoot.querySelector('.edit')]) {
        el.min = String(min); el.max = String(max); el.step = step && num(step, 0) > 0 ? step : '1';
        el.disabled = this.disabled;
      }
      r.setAttribute('aria-label', this.getAttribute('aria-label') || this.name || 'Slider');
      this.shadowRoot.querySelector('.edit').hidden = !P.boolAttr(this, 'editable');
      this.shadowRoot.querySelector('.pin').hidden = !P.boolAttr(this, 'pin');
      const sec = this.shadowRoot.querySelector('.secondary');
      const sp = parseFloat(this.getAttribute('secondary-progress'));
      sec.hidden = !Number.isFinite(sp);
      if (Number.isFinite(sp) && max > min) sec.style.width = `${Math.max(0, Math.min(100, ((sp - min) / (max - min)) * 100))}%`;
    }
    _attributeChanged(name) {
      this._sync();
      if (name === 'value' && !this._touched && this._range) this._range.value = String(this._initial());
      this._show();
    }
    _touch() {
      this._touched = true;
      this.setAttribute('data-touched', '');
      if (this.hasAttribute('data-invalid')) this._crowdValidate();
    }
    _show() {
      if (!this._range) return;
      this.shadowRoot.querySelector('.pin').textContent = this._range.value;
      this.shadowRoot.querySelector('.edit').value = this._range.value;
    }
    get value() { return this._range ? Number(this._range.value) : (this._pending !== null ? this._pending : this._initial()); }
    set value(v) {
      const n = num(v, this._initial());
      if (this._range) { this._range.value = String(n); this._show(); } else this._pending = n;
    }
    get _crowdField() { return true; }
    _crowdContribute(answers) { answers[this.name] = this.value; }
    _crowdValidate() {
      const msg = this.required && !this._touched ? 'Please move the slider to choose a value.' : '';
      const e = this.shadowRoot.querySelector('.error');
      if (e) { e.textContent = msg; e.hidden = !msg; }
      if (msg) this.setAttribute('data-invalid', ''); else this.removeAttribute('data-invalid');
      return msg;
    }
    _crowdFocus() { if (this._range) this._range.focus(); }
    _crowdReset() {
      this._touched = false;
      this.removeAttribute('data-touched');
      this.removeAttribute('data-invalid');
      if (this._range) { this._range.value = String(this._initial()); this._show(); }
      const e = this.shadowRoot.querySelector('.error');
      if (e) e.hidden = true;
    }
  });
})();
