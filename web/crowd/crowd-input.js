/*
 * <crowd-input>: a labelled single-line text field (spec crowd-elements.md §4.2).
 * Output: { "<name>": "<text>" }, left out when empty.
 *
 * Also defines P.TextField, shared with <crowd-text-area>: the native control
 * lives in the shadow root (so it never belongs to the light-DOM <form>);
 * `value` is a settable string (null clears), `input` events are composed
 * and `change` is re-dispatched on the host. Validation: required, min-length,
 * max-length, the native type checks (email, url, number...), error-message.
 * A trailing default slot keeps content swallowed by a "self-closed" tag visible.
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];

  P.FIELD_CSS = `
    :host { display: block; margin: 8px 0 14px; max-width: 100%; }
    .field { display: flex; flex-direction: column; gap: 6px; }
    .label { font-size: 14px; font-weight: 600; color: var(--_text); }
    .label:empty { display: none; }
    .control { width: 100%; font: inherit; font-size: 15px; color: var(--_text); background: var(--_surface);
      border: 1px solid var(--_border); border-radius: 6px; padding: 9px 12px; line-height: 1.4;
      transition: border-color .12s, box-shadow .12s; }
    .control:hover { border-color: var(--_muted); }
    .control:focus { outline: none; border-color: var(--_primary); box-shadow: var(--_focus); }
    .control[disabled] { background: var(--_canvas); color: var(--_muted); cursor: not-allowed; }
    :host([data-invalid]) .control { border-color: var(--_danger); }
    .error { color: var(--_danger); font-size: 13px; font-weight: 600; }
    .meta { display: flex; gap: 8px; }
    .meta .error { flex: 1; }
    .counter { margin-left: auto; color: var(--_muted); font-size: 12px; }
    textarea.control { resize: vertical; min-height: 2.6em; }
  `;

  class TextField extends P.CrowdElement {
    static get observedAttributes() {
      return ['label', 'placeholder', 'type', 'value', 'disabled', 'required', 'max-length', 'min-length',
        'allowed-pattern', 'auto-validate', 'error-message', 'rows', 'max-rows', 'char-counter'];
    }
    get _multiline() { return false; }

    constructor() {
      super();
      this._pending = null;
    }

    _render() {
      const tag = this._multiline ? 'textarea' : 'input';
      this.shadowRoot.innerHTML = `<style>${P.BASE_CSS}${P.FIELD_CSS}</style>
        <label class="field"><span class="label"></span><${tag} class="control"${this._multiline ? '></textarea>' : '>'}</label>
        <div class="meta"><div class="error" role="alert" hidden></div><span class="counter" hidden></span></div><slot></slot>`;
      const c = this._control = this.shadowRoot.querySelector('.control');
      c.value = this._pending !== null ? this._pending : (this.getAttribute('value') || '');
      this._pending = null;
      c.addEventListener('input', () => this._onInput());
      c.addEventListener('change', () => this.dispatchEvent(new Event('change', { bubbles: true })));
      c.addEventListener('blur', () => { if (this.hasAttribute('data-invalid')) this._crowdValidate(); });
      this._sync();
      if (this.hasAttribute('auto-focus')) setTimeout(() => c.focus(), 0);
    }

    _attributeChanged(name) {
      if (name === 'value' && this._control && !this._dirty) this._control.value = this.getAttribute('value') || '';
      this._sync();
    }

    _sync() {
      const c = this._control;
      if (!c) return;
      const label = this.getAttribute('label') || '';
      this.shadowRoot.querySelector('.label').textContent = label;
      c.placeholder = this.getAttribute('placeholder') || '';
      if (!label && this.getAttribute('placeholder')) c.setAttribute('aria-label', this.getAttribute('placeholder'));
      if (!this._multiline) {
        const type = (this.getAttribute('type') || 'text').toLowerCase();
        c.type = type === 'file' ? 'text' : type; // file inputs are not supported (spec §4.2)
      }
      c.disabled = this.disabled;
      c.required = this.required;
      const max = parseInt(this.getAttribute('max-length'), 10);
      if (max >= 0) c.maxLength = max; else c.removeAttribute('maxlength');
      if (this._multiline) {
        const rows = parseInt(this.getAttribute('rows'), 10);
        c.rows = rows > 0 ? rows : 3;
      }
      this._updateCounter();
    }

    _onInput() {
      this._dirty = true;
      const pat = this.getAttribute('allowed-pattern');
      if (pat && this.hasAttribute('auto-validate')) {
        let re;
        try { re = new RegExp(pat); } catch (e) { re = null; }
        if (re) {
          const filtered = [...this._control.value].filter((ch) => re.test(ch)).join('');
          if (filtered !== this._control.value) this._control.value = filtered;
        }
      }
      this._autoGrow();
      this._updateCounter();
      if (this.hasAttribute('data-invalid')) this._crowdValidate();
    }

    _autoGrow() {
      const maxRows = parseInt(this.getAttribute('max-rows'), 10);
      if (!this._multiline || !(maxRows > 0)) return;
      const c = this._control;
      const line = parseFloat(getComputedStyle(c).lineHeight) || 21;
      c.style.height = 'auto';
      c.style.height = Math.min(c.scrollHeight + 2, line * maxRows + 20) + 'px';
    }

    _updateCounter() {
      const counter = this.shadowRoot.querySelector('.counter');
      if (!counter) return;
      const on = this.hasAttribute('char-counter');
      counter.hidden = !on;
      if (on) {
        const max = parseInt(this.getAttribute('max-length'), 10);
        counter.textContent = `${this.value.length}${max > 0 ? ` / ${max}` : ''}`;
      }
    }

    get value() {
      if (this._control) return this._control.value;
      return this._pending !== null ? this._pending : (this.getAttribute('value') || '');
    }
    set value(v) {
      const s = v === null || v === undefined ? '' : String(v);
      if (this._control) { this._control.value = s; this._autoGrow(); this._updateCounter(); } else this._pending = s;
    }
    focus(opts) { if (this._control) this._control.focus(opts); else super.focus(opts); }
    blur() { if (this._control) this._control.blur(); }
    get validity() { return this._control ? this._control.validity : undefined; }
    checkValidity() { return !this._message(); }

    _message() {
      const v = this.value;
      const custom = this.getAttribute('error-message');
      if (this.required && !v.trim()) return custom || (this.getAttribute('label') ? `"${this.getAttribute('label')}" is required.` : 'Please fill in this field.');
      if (!v) return '';
      const min = parseInt(this.getAttribute('min-length'), 10);
      if (min > 0 && v.length < min) return custom || `Please enter at least ${min} characters.`;
      const c = this._control;
      if (c && !c.checkValidity()) return custom || c.validationMessage;
      const pat = this.getAttribute('allowed-pattern');
      if (pat && this.hasAttribute('auto-validate')) {
        try {
          const re = new RegExp(pat);
          if (![...v].every((ch) => re.test(ch))) return custom || 'Please remove the characters that are not allowed.';
        } catch (e) { /* a bad pattern is the template's problem; do not block */ }
      }
      return '';
    }

    get _crowdField() { return true; }
    _crowdContribute(answers) {
      const v = this.value;
      if (v !== '') answers[this.name] = v;
    }
    _crowdValidate() {
      const msg = this._message();
      const e = this.shadowRoot.querySelector('.error');
      if (e) { e.textContent = msg; e.hidden = !msg; }
      if (msg) this.setAttribute('data-invalid', ''); else this.removeAttribute('data-invalid');
      return msg;
    }
    _crowdFocus() { this.focus(); }
    _crowdReset() {
      this._dirty = false;
      this.value = this.getAttribute('value') || '';
      this.removeAttribute('data-invalid');
      const e = this.shadowRoot.querySelector('.error');
      if (e) e.hidden = true;
    }
  }
  P.TextField = TextField;

  P.define('crowd-input', class CrowdInput extends TextField {});
})();
