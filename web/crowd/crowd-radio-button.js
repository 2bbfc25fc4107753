/*
 * <crowd-radio-button>: one option; exclusive among the buttons of its
 * <crowd-radio-group> (not by name) (spec crowd-elements.md §4.5).
 * Output: { "<name>": { "<value>": true|false } }; no `required` support (by spec).
 * The implementation is P.Checkable in crowd-checkbox.js (loaded earlier, see ORDER).
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];
  const CSS = P.CHECK_CSS + `
    .box { border-radius: 50%; }
    :host([aria-checked="true"]) .box { background: var(--_surface); border-color: var(--_primary); }
    .dot { width: 10px; height: 10px; border-radius: 50%; background: var(--_primary); transform: scale(0); transition: transform .1s; }
    :host([aria-checked="true"]) .dot { transform: scale(1); }
  `;
  P.define('crowd-radio-button', class CrowdRadioButton extends P.Checkable {
    get _role() { return 'radio'; }
    get _css() { return CSS; }
    get _markup() { return '<span class="box"><span class="dot"></span></span><slot></slot>'; }
    set checked(v) {
      super.checked = v;
      if (v) this._uncheckSiblings();
    }
    get checked() { return super.checked; }
    _activate() {
      if (this.checked) return; // a radio is not unchecked by clicking it again
      this.checked = true;
      this._afterChange();
    }
    _uncheckSiblings() {
      const group = this.closest('crowd-radio-group');
      if (!group) return;
      for (const other of group.querySelectorAll('crowd-radio-button')) {
        if (other !== this && other.checked) {
          other.checked = false;
          other.dispatchEvent(new Event('change', { bubbles: true }));
        }
      }
    }
    _crowdValidate() { return ''; }
  });
})();
