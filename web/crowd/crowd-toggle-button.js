/*
 * <crowd-toggle-button>: an on/off switch (spec crowd-elements.md §4.7).
 * Attributes: checked, disabled, invalid (alert colour while off), name, required, value.
 * Output: { "<name>": { "<value>": true|false } }.
 * The implementation is P.Checkable in crowd-checkbox.js (loaded earlier, see ORDER).
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];
  const CSS = P.CHECK_CSS + `
    .track { flex: none; position: relative; width: 40px; height: 22px; border-radius: 11px; background: #b9bfcc; transition: background .15s; }
    .knob { position: absolute; top: 3px; left: 3px; width: 16px; height: 16px; border-radius: 50%; background: #fff;
      box-shadow: 0 1px 3px rgba(0,0,0,.3); transition: transform .15s; }
    :host([aria-checked="true"]) .track { background: var(--_primary); }
    :host([aria-checked="true"]) .knob { transform: translateX(18px); }
    :host([invalid]:not([aria-checked="true"])) .track, :host([data-invalid]) .track { background: var(--_danger); }
  `;
  P.define('crowd-toggle-button', class CrowdToggleButton extends P.Checkable {
    static get observedAttributes() { return ['checked', 'disabled', 'invalid']; }
    get _role() { return 'switch'; }
    get _css() { return CSS; }
    get _markup() { return '<span class="track"><span class="knob"></span></span><slot></slot>'; }
  });
})();
