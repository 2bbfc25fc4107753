/*
 * <crowd-badge>: a small round badge (spec crowd-elements.md §4.14).
 * Attributes: label (1-3 characters), icon (name or URL; wins over label),
 * for (id of the element whose top-right corner it floats over; without it the
 * badge is inline). Trailing slot keeps content swallowed by "self-closed" tags.
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];
  P.define('crowd-badge', class CrowdBadge extends P.CrowdElement {
    static get observedAttributes() { return ['label', 'icon', 'for']; }
    constructor() { super(); this._place = () => this._position(); }
    _render() {
      const icon = P.icon(this.getAttribute('icon'));
      const label = (this.getAttribute('label') || '').slice(0, 3);
      this.shadowRoot.innerHTML = `<style>${P.BASE_CSS}
          :host { display: inline-block; vertical-align: middle; }
          :host([for]) { position: absolute; z-index: 5; }
          .badge { min-width: 22px; height: 22px; padding: 0 6px; border-radius: 11px; background: var(--_primary); color: #fff;
            font-size: 12px; font-weight: 700; display: inline-flex; align-items: center; justify-content: center;
            box-shadow: 0 0 0 2px #fff; }
          .badge .icon { width: 14px; height: 14px; }
        </style><span class="badge" part="badge">${icon || P.esc(label)}</span><slot></slot>`;
      this._position();
    }
    _onConnect() {
      window.addEventListener('resize', this._place);
      if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', this._place, { once: true });
      setTimeout(this._place, 0);
    }
    _onDisconnect() { window.removeEventListener('resize', this._place); }
    _position() {
      const id = this.getAttribute('for');
      if (!id || !this.isConnected) return;
      const target = (this.getRootNode().getElementById ? this.getRootNode() : document).getElementById(id);
      if (!target) return;
      const parent = this.offsetParent || document.body;
      const pr = parent === document.body ? { left: -window.scrollX, top: -window.scrollY } : parent.getBoundingClientRect();
      const tr = target.getBoundingClientRect();
      this.style.left = `${tr.right - pr.left - 11}px`;
      this.style.top = `${tr.top - pr.top - 11}px`;
    }
  });
})();
