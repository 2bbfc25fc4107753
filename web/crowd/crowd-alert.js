/*
 * <crowd-alert>: a message box (spec crowd-elements.md §4.12).
 * Attributes: type ("info" default | "success" | "warning" | "error"),
 * dismissible (shows a close control; closing removes nothing, it hides the host).
 * Templates often insert it through innerHTML; it upgrades then like any element.
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];
  const ICON = { info: 'info', success: 'check', warning: 'warning', error: 'error' };
  P.define('crowd-alert', class CrowdAlert extends P.CrowdElement {
    static get observedAttributes() { return ['type', 'dismissible']; }
    _render() {
      const type = ICON[(this.getAttribute('type') || 'info').toLowerCase()] ? (this.getAttribute('type') || 'info').toLowerCase() : 'info';
      this.shadowRoot.innerHTML = `<style>${P.BASE_CSS}
          :host { display: block; margin: 8px 0; }
          .alert { display: flex; gap: 10px; align-items: flex-start; padding: 12px 14px; border-radius: 8px; border: 1px solid;
            line-height: 1.5; font-size: 15px; }
          .alert > .icon { margin-top: 1px; }
          .content { flex: 1; min-width: 0; overflow-wrap: anywhere; }
          .info { background: var(--_info-soft); border-color: #b7d0ee; } .info > .icon { color: var(--_info); }
          .success { background: var(--_success-soft); border-color: #b5dcc4; } .success > .icon { color: var(--_success); }
          .warning { background: var(--_warning-soft); border-color: #f0d58c; } .warning > .icon { color: var(--_warning); }
          .error { background: var(--_danger-soft); border-color: #f2b8b2; } .error > .icon { color: var(--_danger); }
          .close { border: 0; background: transparent; cursor: pointer; color: var(--_muted); border-radius: 4px; padding: 2px;
            display: inline-flex; }
          .close:hover { color: var(--_text); background: rgba(0,0,0,.06); }
        </style>
        <div class="alert ${type}" role="${type === 'error' || type === 'warning' ? 'alert' : 'status'}">${P.icon(ICON[type])}
          <div class="content"><slot></slot></div>
          ${P.boolAttr(this, 'dismissible') ? `<button type="button" class="close" aria-label="Dismiss">${P.icon('close')}</button>` : ''}</div>`;
      const c = this.shadowRoot.querySelector('.close');
      if (c) c.addEventListener('click', () => { this.hidden = true; this.dispatchEvent(new Event('dismiss', { bubbles: true })); });
    }
  });
})();
