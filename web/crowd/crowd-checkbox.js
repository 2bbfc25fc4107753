/*
 * <crowd-checkbox>: a checkbox labelled by its content (spec crowd-elements.md §4.4).
 * Output: { "<name>": { "<value>": true|false } } (value defaults to "on");
 * boxes sharing a name merge into one object; unchecked boxes are included.
 *
 * Also defines P.Checkable, shared with <crowd-toggle-button> and
 * <crowd-radio-button>: the host itself is the focusable control (role, tabindex,
 * aria-checked), Space toggles, `checked` and `disabled` are properties and a
 * `change` event is dispatched on the host.
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];

  P.CHECK_CSS = `
    :host { display: inline-flex; align-items: center; gap: 8px; margin: 4px 16px 4px 0; cursor: pointer;
      user-select: none; line-height: 1.4; vertical-align: middle; border-radius: 6px; }
    :host(:focus) { outline: none; }
    :host(:focus-visible) { box-shadow: var(--_focus); }
    :host([disabled]) { opacity: .5; cursor: not-allowed; }
    .box { flex: none; width: 20px; height: 20px; border: 2px solid var(--_muted); border-radius: 4px; background: var(--_surface);
      display: inline-flex; align-items: center; justify-content: center; transition: background .1s, border-color .1s; }
    .box .icon { width: 16px; height: 16px; fill: #fff; opacity: 0; }
    :host(:hover) .box { border-color: var(--_primary); }
    :host([aria-checked="true"]) .box { background: var(--_primary); border-color: var(--_primary); }
    :host([aria-checked="true"]) .box .icon { opacity: 1; }
    :host([data-invalid]) .box { border-color: var(--_danger); }
    .error { color: var(--_danger); font-size: 13px; font-weight: 600; }
  `;

  class Checkable extends P.CrowdElement {
    static get observedAttributes() { return ['checked', 'disabled']; }
    get _role() { return 'checkbox'; }
    get _markup() { return `<span class="box">${P.icon('check')}</span><slot></slot>`; }
    get _css() { return P.CHECK_CSS; }

    constructor() {
      super();
      this._checked = null; // null: follow the attribute
      this.addEventListener('click', (e) => {
        if (this.disabled) { e.stopImmediatePropagation(); e.preventDefault(); return; }
        // Links and inputs inside the label keep their own behaviour.
        const t = e.composedPath()[0];
        if (t !== this && t.closest && t.closest('a, input, select, textarea, button') && this.contains(t)) return;
        this._activate();
      });
      this.addEventListener('keydown', (e) => {
        if (e.key === ' ' && e.target === this) { e.preventDefault(); if (!this.disabled) this._activate(); }
      });
    }

    _render() {
      this.shadowRoot.innerHTML = `<style>${P.BASE_CSS}${this._css}</style>${this._markup}<span class="error" role="alert" hidden></span>`;
    }
    _onConnect() {
      if (!this.hasAttribute('role')) this.setAttribute('role', this._role);
      this._syncHost();
    }
    _attributeChanged(name) {
      if (name === 'checked') this._checked = null;
      this._syncHost();
    }
    _syncHost() {
      this.setAttribute('aria-checked', String(this.checked));
      this.setAttribute('aria-disabled', String(this.disabled));
      if (this.disabled) this.removeAttribute('tabindex');
      else if (!this.hasAttribute('tabindex')) this.setAttribute('tabindex', '0');
    }

    get checked() { return this._checked === null ? P.boolAttr(this, 'checked') : this._checked; }
    set checked(v) { this._checked = !!v; this._syncHost(); }
    get value() { return this.hasAttribute('value') ? this.getAttribute('value') : 'on'; }
    set value(v) { this.setAttribute('value', v); }

    _activate() {
      this.checked = !this.checked;
      this._afterChange();
    }
    _afterChange() {
      if (this.hasAttribute('data-invalid')) this._crowdValidate();
      this.dispatchEvent(new Event('change', { bubbles: true }));
    }

    get _crowdField() { return true; }
    _crowdContribute(answers) {
      const cur = answers[this.name];
      const obj = cur !== null && typeof cur === 'object' && !Array.isArray(cur) ? cur : (answers[this.name] = {});
      obj[this.value] = this.checked;
    }
    _crowdValidate() {
      const msg = this.required && !this.checked ? 'Please check this box to continue.' : '';
      const e = this.shadowRoot.querySelector('.error');
      if (e) { e.textContent = msg; e.hidden = !msg; }
      if (msg) this.setAttribute('data-invalid', ''); else this.removeAttribute('data-invalid');
      return msg;
    }
    _crowdFocus() { this.focus(); }
    _crowdReset() {
      this._checked = null;
      this.removeAttribute('data-invalid');
      const e = this.shadowRoot.querySelector('.error');
      if (e) e.hidden = true;
      this._syncHost();
    }
  }
  P.Checkable = Checkable;

  P.define('crowd-checkbox', class CrowdCheckbox extends Checkable {});
})();
