/*
 * <crowd-radio-group>: makes the <crowd-radio-button>s inside it exclusive
 * (spec crowd-elements.md §4.5). Contributes nothing to the answer itself.
 * Arrow keys move the choice between the group's buttons.
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];
  P.define('crowd-radio-group', class CrowdRadioGroup extends P.CrowdElement {
    constructor() {
      super();
      this.addEventListener('keydown', (e) => {
        const dir = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 }[e.key];
        if (!dir || !e.target.matches || !e.target.matches('crowd-radio-button')) return;
        const buttons = [...this.querySelectorAll('crowd-radio-button')].filter((b) => !b.disabled);
        const i = buttons.indexOf(e.target);
        if (i < 0) return;
        e.preventDefault();
        const next = buttons[(i + dir + buttons.length) % buttons.length];
        next.focus();
        next._activate();
      });
    }
    _render() {
      this.shadowRoot.innerHTML = `<style>${P.BASE_CSS} :host { display: block; margin: 4px 0; }</style><slot></slot>`;
    }
    _onConnect() { if (!this.hasAttribute('role')) this.setAttribute('role', 'radiogroup'); }
  });
})();
