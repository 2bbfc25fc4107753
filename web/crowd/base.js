/*
 * Plumbline crowd HTML elements: shared runtime (load first; see ORDER).
 *
 * The bundle is a classic synchronous script made of the files listed in ORDER,
 * concatenated. It must not create page globals (templates rely on named access
 * to element ids), so the shared pieces live on one symbol-keyed property:
 *   globalThis[Symbol.for('plumbline.crowd')]
 * Every element file is an IIFE that reads that object.
 *
 * What lives here:
 *   - parseLoose(): a tolerant JSON5-like parser for structured attributes
 *     (single quotes, unquoted keys, trailing commas, comments). Never eval.
 *   - CrowdElement: base class (open shadow root, attribute helpers, slots for
 *     light-DOM regions, the field protocol used by crowd-form).
 *   - the annotator layout shared by the classifiers (class names are a
 *     compatibility contract, see spec crowd-elements.md §2.6 and §6).
 *   - the `all-crowd-elements-ready` event and the `plumbline:ready` message.
 *
 * Field protocol (crowd-form walks its subtree and asks each crowd element):
 *   el._crowdField          true for elements that contribute to the answer
 *   el._crowdContribute(a)  merge this element's value into answers object `a`
 *   el._crowdValidate()     '' when valid, else a human-readable message
 *   el._crowdReset()        restore the initial state
 */
(() => {
  'use strict';
  const KEY = Symbol.for('plumbline.crowd');
  if (globalThis[KEY]) return;
  const P = {};
  Object.defineProperty(globalThis, KEY, { value: P, enumerable: false });

  // ---------------------------------------------------------------- parsing
  class ParseError extends Error {}

  // Parses JSON and the JavaScript object-literal dialect found in templates.
  P.parseLoose = function parseLoose(text) {
    const s = String(text);
    let i = 0;
    const fail = (msg) => { throw new ParseError(`${msg} at offset ${i}`); };
    const skip = () => {
      for (;;) {
        const c = s[i];
        if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\u00a0' || c === '\ufeff') { i++; continue; }
        if (c === '/' && s[i + 1] === '/') { while (i < s.length && s[i] !== '\n') i++; continue; }
        if (c === '/' && s[i + 1] === '*') {
          const end = s.indexOf('*/', i + 2);
          if (end < 0) fail('unterminated comment');
          i = end + 2; continue;
        }
        return;
      }
    };
    const str = () => {
      const q = s[i++];
      let out = '';
      while (i < s.length && s[i] !== q) {
        let c = s[i++];
        if (c === '\\') {
          c = s[i++];
          const map = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '0': '\0' };
          if (c === 'u') { out += String.fromCharCode(parseInt(s.substr(i, 4), 16)); i += 4; continue; }
          if (c === 'x') { out += String.fromCharCode(parseInt(s.substr(i, 2), 16)); i += 2; continue; }
          if (c === '\n') continue;
          out += c in map ? map[c] : c;
        } else out += c;
      }
      if (s[i] !== q) fail('unterminated string');
      i++;
      return out;
    };
    const ident = () => {
      const m = /^[A-Za-z_$][\w$]*/.exec(s.slice(i));
      if (!m) fail(`unexpected character ${JSON.stringify(s[i] || 'end of input')}`);
      i += m[0].length;
      return m[0];
    };
    const num = () => {
      const m = /^[-+]?(0x[0-9a-fA-F]+|(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|Infinity)/.exec(s.slice(i));
      if (!m) fail('bad number');
      i += m[0].length;
      return Number(m[0]);
    };
    const value = () => {
      skip();
      const c = s[i];
      if (c === '{') {
        i++;
        const obj = {};
        for (;;) {
          skip();
          if (s[i] === '}') { i++; return obj; }
          if (s[i] === ',') { i++; continue; }
          const k = (s[i] === '"' || s[i] === "'") ? str() : (/[-\d.]/.test(s[i]) ? String(num()) : ident());
          skip();
          if (s[i++] !== ':') fail('expected ":"');
          obj[k] = value();
          skip();
          if (s[i] === ',') { i++; continue; }
          if (s[i] === '}') { i++; return obj; }
          fail('expected "," or "}"');
        }
      }
      if (c === '[') {
        i++;
        const arr = [];
        for (;;) {
          skip();
          if (s[i] === ']') { i++; return arr; }
          if (s[i] === ',') { i++; continue; } // trailing or stray empty element
          arr.push(value());
          skip();
          if (s[i] === ',') { i++; continue; }
          if (s[i] === ']') { i++; return arr; }
          fail('expected "," or "]"');
        }
      }
      if (c === '"' || c === "'") return str();
      if (c !== undefined && /[-+\d.]/.test(c)) return num();
      const id = ident();
      const lits = { true: true, false: false, null: null, undefined: null, NaN: NaN, Infinity: Infinity };
      if (id in lits) return lits[id];
      fail(`unexpected identifier ${id}`);
    };
    const v = value();
    skip();
    if (i < s.length) fail('unexpected trailing characters');
    return v;
  };

  // Reads a structured attribute. Returns {value} or {error}.
  P.readStructured = function readStructured(el, attr, fallback) {
    const raw = el.getAttribute(attr);
    if (raw === null || raw.trim() === '') return { value: fallback };
    try { return { value: P.parseLoose(raw) }; } catch (e) { return { value: fallback, error: `Attribute "${attr}" could not be read: ${e.message}` }; }
  };

  // ------------------------------------------------------------------ utils
  P.esc = (t) => String(t).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

  // Presence means true; the literal "false" is also accepted as false.
  P.boolAttr = (el, name) => {
    const v = el.getAttribute(name);
    return v !== null && v.trim().toLowerCase() !== 'false';
  };

  P.camel = (s) => s.replace(/-([a-z])/g, (_, c) => c.toUpperCase());

  // Nearest crowd-form, crossing shadow boundaries.
  P.formOf = (el) => {
    let n = el;
    while (n) {
      const f = n.closest ? n.closest('crowd-form') : null;
      if (f) return f;
      const root = n.getRootNode ? n.getRootNode() : null;
      n = root && root.host ? root.host : null;
    }
    return null;
  };

  // True when a key event comes from something the worker is typing into.
  P.isTypingTarget = (e) => {
    const t = (e.composedPath && e.composedPath()[0]) || e.target;
    if (!t || !t.tagName) return false;
    const tag = t.tagName;
    if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
    if (tag === 'INPUT') return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range'].includes((t.type || '').toLowerCase());
    return !!t.isContentEditable;
  };

  P.postToParent = (msg) => {
    try {
      if (window.parent && window.parent !== window) window.parent.postMessage(msg, '*');
    } catch (e) { /* cross-origin parent without listener: nothing to do */ }
  };

  // A small offline icon set (subset of iron-icons names, drawn in 24x24).
  const ICONS = {
    search: 'M15.5 14h-.8l-.3-.3A6.5 6.5 0 1 0 14 15.5l.3.3v.8l5 5 1.5-1.5-5-5zm-6 0A4.5 4.5 0 1 1 14 9.5 4.5 4.5 0 0 1 9.5 14z',
    'question-answer': 'M21 6h-2v9H6v2c0 .6.4 1 1 1h11l4 4V7c0-.6-.4-1-1-1zm-4 6V3c0-.6-.4-1-1-1H3c-.6 0-1 .4-1 1v14l4-4h10c.6 0 1-.4 1-1z',
    'report-problem': 'M1 21h22L12 2 1 21zm12-3h-2v-2h2v2zm0-4h-2v-4h2v4z',
    warning: 'M1 21h22L12 2 1 21zm12-3h-2v-2h2v2zm0-4h-2v-4h2v4z',
    star: 'M12 17.3l6.2 3.7-1.6-7 5.4-4.7-7.2-.6L12 2 9.2 8.7 2 9.3l5.4 4.7-1.6 7z',
    'star-border': 'M22 9.2l-7.2-.6L12 2 9.2 8.6 2 9.2 7.5 14l-1.6 7L12 17.3l6.2 3.7-1.7-7L22 9.2zM12 15.4l-3.8 2.3 1-4.3-3.3-2.9 4.4-.4L12 6.1l1.7 4 4.4.4-3.3 2.9 1 4.3-3.8-2.3z',
    close: 'M19 6.4L17.6 5 12 10.6 6.4 5 5 6.4 10.6 12 5 17.6 6.4 19 12 13.4 17.6 19 19 17.6 13.4 12z',
    clear: 'M19 6.4L17.6 5 12 10.6 6.4 5 5 6.4 10.6 12 5 17.6 6.4 19 12 13.4 17.6 19 19 17.6 13.4 12z',
    check: 'M9 16.2L4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z',
    done: 'M9 16.2L4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z',
    info: 'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm1 15h-2v-6h2v6zm0-8h-2V7h2v2z',
    'info-outline': 'M11 17h2v-6h-2v6zm1-15a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 18a8 8 0 1 1 0-16 8 8 0 0 1 0 16zM11 9h2V7h-2v2z',
    error: 'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm1 15h-2v-2h2v2zm0-4h-2V7h2v6z',
    help: 'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm1 17h-2v-2h2v2zm2.1-7.8l-.9.9c-.7.7-1.2 1.3-1.2 2.9h-2v-.5c0-1.1.4-2.1 1.2-2.8l1.2-1.3c.4-.4.6-.9.6-1.4a2 2 0 0 0-4 0H8a4 4 0 0 1 8 0c0 .9-.4 1.7-.9 2.2z',
    add: 'M19 13h-6v6h-2v-6H5v-2h6V5h2v6h6v2z',
    remove: 'M19 13H5v-2h14v2z',
    delete: 'M6 19c0 1.1.9 2 2 2h8a2 2 0 0 0 2-2V7H6v12zM19 4h-3.5l-1-1h-5l-1 1H5v2h14V4z',
    edit: 'M3 17.2V21h3.8L17.8 9.9l-3.7-3.7L3 17.2zM20.7 7c.4-.4.4-1 0-1.4l-2.3-2.3a1 1 0 0 0-1.4 0l-1.8 1.8 3.7 3.7L20.7 7z',
    send: 'M2 21l21-9L2 3v7l15 2-15 2z',
    favorite: 'M12 21.4l-1.5-1.3C5.4 15.4 2 12.3 2 8.5 2 5.4 4.4 3 7.5 3c1.7 0 3.4.8 4.5 2.1A6 6 0 0 1 16.5 3C19.6 3 22 5.4 22 8.5c0 3.8-3.4 6.9-8.5 11.5L12 21.4z',
    'thumb-up': 'M1 21h4V9H1v12zm22-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.4-1.1L14.2 1 7.6 7.6C7.2 7.9 7 8.4 7 9v10c0 1.1.9 2 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1.2-.7v-2z',
    'thumb-down': 'M15 3H6c-.8 0-1.5.5-1.8 1.2l-3 7.1-.2.7v2c0 1.1.9 2 2 2h6.3l-1 4.6v.3c0 .4.2.8.4 1.1l1.1 1 6.6-6.6c.4-.4.6-.9.6-1.4V5a2 2 0 0 0-2-2zm4 0v12h4V3h-4z',
    flag: 'M14.4 6L14 4H5v17h2v-7h5.6l.4 2h7V6z',
    'zoom-in': 'M15.5 14h-.8l-.3-.3A6.5 6.5 0 1 0 14 15.5l.3.3v.8l5 5 1.5-1.5-5-5zm-6 0A4.5 4.5 0 1 1 14 9.5 4.5 4.5 0 0 1 9.5 14zM12 10h-2v2H9v-2H7V9h2V7h1v2h2v1z',
    'zoom-out': 'M15.5 14h-.8l-.3-.3A6.5 6.5 0 1 0 14 15.5l.3.3v.8l5 5 1.5-1.5-5-5zm-6 0A4.5 4.5 0 1 1 14 9.5 4.5 4.5 0 0 1 9.5 14zM7 9h5v1H7z',
    'arrow-forward': 'M12 4l-1.4 1.4 5.6 5.6H4v2h12.2l-5.6 5.6L12 20l8-8z',
    'arrow-back': 'M20 11H7.8l5.6-5.6L12 4l-8 8 8 8 1.4-1.4L7.8 13H20v-2z',
    refresh: 'M17.7 6.3A8 8 0 1 0 19.7 14h-2.1A6 6 0 1 1 12 6c1.7 0 3.1.7 4.2 1.8L13 11h7V4l-2.3 2.3z',
    settings: 'M19.4 13a7.5 7.5 0 0 0 0-2l2.1-1.6-2-3.5-2.5 1a7.3 7.3 0 0 0-1.7-1L14.9 3h-4l-.4 2.7c-.6.3-1.2.6-1.7 1l-2.5-1-2 3.5L6.4 11a7.5 7.5 0 0 0 0 2l-2.1 1.6 2 3.5 2.5-1c.5.4 1.1.7 1.7 1l.4 2.7h4l.4-2.7c.6-.3 1.2-.6 1.7-1l2.5 1 2-3.5-2.1-1.6zM12.9 15.5a3.5 3.5 0 1 1 0-7 3.5 3.5 0 0 1 0 7z',
    'keyboard': 'M20 5H4a2 2 0 0 0-2 2v10c0 1.1.9 2 2 2h16a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2zm-9 3h2v2h-2V8zm0 3h2v2h-2v-2zM8 8h2v2H8V8zm0 3h2v2H8v-2zm-1 2H5v-2h2v2zm0-3H5V8h2v2zm9 7H8v-2h8v2zm0-4h-2v-2h2v2zm0-3h-2V8h2v2zm3 3h-2v-2h2v2zm0-3h-2V8h2v2z',
    menu: 'M3 18h18v-2H3v2zm0-5h18v-2H3v2zm0-7v2h18V6H3z',
  };
  // Returns SVG markup for an icon name, an <img> for a URL, or '' when unknown.
  P.icon = (name, cls = 'icon') => {
    if (!name) return '';
    const n = String(name).replace(/^icons:/, '');
    if (ICONS[n]) return `<svg class="${cls}" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="${ICONS[n]}"/></svg>`;
    if (/^(https?:|data:|\/|\.)/.test(n)) return `<img class="${cls}" src="${P.esc(n)}" alt="">`;
    return '';
  };

  // --------------------------------------------------------------- styling
  // Design tokens: overridable from the page through the custom properties.
  P.TOKENS = `
    --_primary: var(--crowd-primary, #5b3a8e);
    --_primary-hover: var(--crowd-primary-hover, #4a2d76);
    --_primary-soft: var(--crowd-primary-soft, #f1ecf8);
    --_text: var(--crowd-text, #1d2330);
    --_muted: var(--crowd-muted, #5d6577);
    --_border: var(--crowd-border, #d5d9e2);
    --_surface: var(--crowd-surface, #ffffff);
    --_canvas: var(--crowd-canvas, #f4f5f8);
    --_danger: var(--crowd-danger, #b42318);
    --_danger-soft: #fdecea;
    --_success: #1e7b46;
    --_success-soft: #e7f5ec;
    --_warning: #8a5a00;
    --_warning-soft: #fff5d9;
    --_info: #1f5fa8;
    --_info-soft: #e8f1fb;
    --_radius: 8px;
    --_focus: 0 0 0 3px rgba(91, 58, 142, .35);
    --_font: var(--crowd-font, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif);
  `;
  P.BASE_CSS = `
    :host { ${P.TOKENS} font-family: var(--_font); color: var(--_text); box-sizing: border-box; }
    :host([hidden]) { display: none !important; }
    *, *::before, *::after { box-sizing: border-box; }
    [hidden] { display: none !important; }
    .icon { width: 20px; height: 20px; fill: currentColor; flex: none; vertical-align: middle; }
    img.icon { object-fit: contain; }
    button { font: inherit; }
    :focus-visible { outline: none; box-shadow: var(--_focus); }
    .btn { display: inline-flex; align-items: center; justify-content: center; gap: 6px; min-height: 36px;
      padding: 0 16px; border-radius: 6px; border: 1px solid var(--_border); background: var(--_surface);
      color: var(--_text); font-weight: 600; font-size: 14px; cursor: pointer; text-decoration: none;
      transition: background .12s, border-color .12s, box-shadow .12s; white-space: nowrap; }
    .btn:hover { border-color: var(--_muted); }
    .btn.primary, .awsui-button.awsui-button-variant-primary { background: var(--_primary); border: 1px solid var(--_primary);
      color: #fff; border-radius: 6px; font-weight: 600; font-size: 15px; cursor: pointer; }
    .btn.primary:hover, .awsui-button.awsui-button-variant-primary:hover { background: var(--_primary-hover); }
    .btn.link { border-color: transparent; background: transparent; color: var(--_primary); padding: 0 4px; }
    .btn.link:hover { text-decoration: underline; }
    .btn[disabled], .btn[aria-disabled="true"] { opacity: .5; cursor: not-allowed; }
    a { color: var(--_primary); }
    dialog.awsui-modal-dialog { border: none; border-radius: 12px; padding: 0; width: 720px; max-width: calc(100vw - 32px);
      max-height: calc(100vh - 48px); box-shadow: 0 24px 64px rgba(15, 20, 35, .3); color: var(--_text); font-family: var(--_font); }
    dialog.awsui-modal-dialog::backdrop { background: rgba(20, 24, 36, .45); }
    .modal-head { display: flex; align-items: center; gap: 12px; padding: 16px 20px; border-bottom: 1px solid var(--_border);
      position: sticky; top: 0; background: var(--_surface); z-index: 1; }
    .modal-head h2 { margin: 0; font-size: 18px; flex: 1; }
    .modal-close { border: none; background: transparent; border-radius: 6px; width: 32px; height: 32px; cursor: pointer;
      color: var(--_muted); display: inline-flex; align-items: center; justify-content: center; }
    .modal-close:hover { background: var(--_canvas); color: var(--_text); }
    .modal-body { padding: 16px 20px 20px; line-height: 1.55; overflow-wrap: anywhere; }
    .modal-body img { max-width: 100%; }
  `;

  // Builds the markup of a modal dialog; `body` is inner HTML (usually a slot).
  P.modalHTML = (cls, title, body, extraFoot = '') => `
    <dialog class="awsui-modal-dialog ${cls}">
      <div class="modal-head"><h2 class="modal-title">${P.esc(title)}</h2>
        <button type="button" class="modal-close" aria-label="Close">${P.icon('close')}</button></div>
      <div class="modal-body">${body}</div>${extraFoot}
    </dialog>`;

  // Wires close button, Escape (native) and backdrop click of a <dialog>.
  P.wireDialog = (dlg) => {
    dlg.querySelector('.modal-close').addEventListener('click', () => dlg.close());
    dlg.addEventListener('click', (e) => {
      if (e.target !== dlg) return;
      const r = dlg.getBoundingClientRect();
      if (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom) dlg.close();
    });
    dlg.addEventListener('keydown', (e) => e.stopPropagation()); // page hotkeys must not fire inside a modal
  };
  P.openDialog = (dlg) => { if (!dlg.open) { try { dlg.showModal(); } catch (e) { dlg.setAttribute('open', ''); } } };

  // --------------------------------------------------------- base element
  class CrowdElement extends HTMLElement {
    constructor() {
      super();
      this.attachShadow({ mode: 'open' });
      this._rendered = false;
    }
    connectedCallback() {
      if (!this._rendered) {
        this._rendered = true;
        try { this._render(); } catch (e) { this._renderError(e); }
      }
      if (this._regionNames) this._watchRegions();
      if (this._onConnect) this._onConnect();
    }
    disconnectedCallback() {
      if (this._onDisconnect) this._onDisconnect();
    }
    attributeChangedCallback(name, oldV, newV) {
      if (!this._rendered || oldV === newV) return;
      try { this._attributeChanged(name, oldV, newV); } catch (e) { this._renderError(e); }
    }
    _attributeChanged() { this._rerender(); }
    _rerender() {
      try { this._render(); } catch (e) { this._renderError(e); }
    }
    _render() {}
    _renderError(e) {
      this._error = String(e && e.message || e);
      this.shadowRoot.innerHTML = `<style>${P.BASE_CSS} .err{border:1px solid var(--_danger);background:var(--_danger-soft);color:var(--_danger);padding:12px 16px;border-radius:8px}</style>
        <div class="err" role="alert">${P.esc(this.localName)}: ${P.esc(this._error)}</div><slot></slot>`;
    }
    get name() { return this.getAttribute('name') || ''; }
    set name(v) { this.setAttribute('name', v); }
    get disabled() { return P.boolAttr(this, 'disabled'); }
    set disabled(v) { if (v) this.setAttribute('disabled', ''); else this.removeAttribute('disabled'); }
    get required() { return P.boolAttr(this, 'required'); }
    set required(v) { if (v) this.setAttribute('required', ''); else this.removeAttribute('required'); }

    // Region children (short-instructions, ...) stay in the light DOM and get a
    // slot attribute named after their tag; the parser may add them after upgrade.
    _watchRegions() {
      const assign = () => {
        for (const c of this.children) {
          const n = c.localName;
          if (this._regionNames.includes(n) && c.getAttribute('slot') !== n) c.setAttribute('slot', n);
        }
        if (this._regionsChanged) this._regionsChanged();
      };
      assign();
      if (!this._regionObserver) {
        this._regionObserver = new MutationObserver(assign);
        this._regionObserver.observe(this, { childList: true });
      }
    }
    _region(name) {
      for (const c of this.children) if (c.localName === name) return c;
      return null;
    }
  }
  P.CrowdElement = CrowdElement;

  // ------------------------------------------------------ annotator layout
  // Shared "crowd app" layout of the classifiers. Compatibility class names:
  // .headerContainer .headerButtonsContainer .awsui-app-layout__navigation
  // .moreInstructionsLink .awsui-modal-dialog .annotation-area
  // .annotation-area.target .category-picker-wrapper [type=submit]
  P.APP_CSS = `
    :host { display: block; position: relative; background: var(--_canvas); border: 1px solid var(--_border);
      border-radius: 10px; overflow: hidden; min-height: max(420px, calc(100vh - 16px)); }
    .app { display: flex; flex-direction: column; min-height: inherit; }
    .headerContainer { display: flex; align-items: center; gap: 12px; padding: 12px 20px; background: var(--_surface);
      border-bottom: 1px solid var(--_border); }
    .headerTitle { flex: 1; margin: 0; font-size: 18px; font-weight: 650; line-height: 1.3; }
    .headerButtonsContainer { display: flex; gap: 8px; flex: none; }
    .headerButtonsContainer .btn { min-height: 32px; padding: 0 12px; font-size: 13px; }
    .headerButtonsContainer .btn[aria-pressed="true"] { background: var(--_primary-soft); border-color: var(--_primary); color: var(--_primary); }
    .body { display: flex; flex: 1; min-height: 0; align-items: stretch; }
    .awsui-app-layout__navigation { width: 280px; flex: none; background: var(--_surface); border-right: 1px solid var(--_border);
      padding: 18px 20px; overflow: auto; line-height: 1.55; font-size: 14px; }
    .awsui-app-layout__navigation h2 { margin: 0 0 10px; font-size: 13px; letter-spacing: .06em; text-transform: uppercase; color: var(--_muted); }
    .awsui-app-layout__navigation ::slotted(*) { display: block; }
    .moreInstructionsLink { display: inline-block; margin-top: 12px; font-weight: 600; cursor: pointer; background: none; border: 0; padding: 0; color: var(--_primary); font-size: 14px; }
    .moreInstructionsLink:hover { text-decoration: underline; }
    .workspace { flex: 1; min-width: 0; display: flex; align-items: stretch; }
    .annotation-area.target { flex: 1; min-width: 0; padding: 24px; overflow: auto; display: flex; flex-direction: column; gap: 16px; }
    .target-card { background: var(--_surface); border: 1px solid var(--_border); border-radius: var(--_radius);
      padding: 22px 24px; font-size: 17px; line-height: 1.6; overflow-wrap: anywhere; box-shadow: 0 1px 2px rgba(16,24,40,.04); }
    .target-card:empty { display: none; }
    .target-card ::slotted(*) { max-width: 100%; }
    .label-pane { width: 300px; flex: none; background: var(--_surface); border-left: 1px solid var(--_border);
      display: flex; flex-direction: column; }
    .category-picker-wrapper { padding: 18px 16px 8px; display: flex; flex-direction: column; gap: 8px; overflow: auto; }
    .picker-title { margin: 0 0 2px; font-size: 13px; letter-spacing: .06em; text-transform: uppercase; color: var(--_muted); font-weight: 650; }
    .category-button { display: flex; align-items: center; gap: 10px; width: 100%; text-align: left; min-height: 44px;
      padding: 8px 12px; border: 1px solid var(--_border); border-radius: var(--_radius); background: var(--_surface);
      color: var(--_text); cursor: pointer; font-size: 15px; line-height: 1.3; transition: border-color .12s, background .12s; }
    .category-button:hover { border-color: var(--_primary); background: var(--_primary-soft); }
    .category-button .key { flex: none; width: 24px; height: 24px; border-radius: 6px; border: 1px solid var(--_border);
      display: inline-flex; align-items: center; justify-content: center; font-size: 12px; font-weight: 650; color: var(--_muted); background: var(--_canvas); }
    .category-button .mark { flex: none; width: 18px; height: 18px; border-radius: 50%; border: 2px solid var(--_border); margin-left: auto;
      display: inline-flex; align-items: center; justify-content: center; }
    .multi .category-button .mark { border-radius: 4px; }
    .category-button .text { flex: 1; overflow-wrap: anywhere; }
    .category-button.selected, .category-button[aria-checked="true"] { border-color: var(--_primary); background: var(--_primary-soft); box-shadow: inset 0 0 0 1px var(--_primary); font-weight: 600; }
    .category-button.selected .key { background: var(--_primary); color: #fff; border-color: var(--_primary); }
    .category-button.selected .mark { border-color: var(--_primary); background: var(--_primary); }
    .category-button.selected .mark::after { content: ""; width: 6px; height: 6px; border-radius: 50%; background: #fff; }
    .multi .category-button.selected .mark::after { width: 8px; height: 4px; border-radius: 0; background: none; border: 2px solid #fff;
      border-top: 0; border-right: 0; transform: rotate(-45deg) translate(1px, -1px); }
    .category-button.exclusion { border-style: dashed; }
    .category-button[disabled] { opacity: .45; cursor: not-allowed; }
    .label-pane-footer { margin-top: auto; padding: 12px 16px 16px; border-top: 1px solid var(--_border); display: flex; flex-direction: column; gap: 10px; }
    .field-error { color: var(--_danger); background: var(--_danger-soft); border-radius: 6px; padding: 8px 10px; font-size: 14px; font-weight: 600; }
    .submit-row { display: flex; gap: 8px; align-items: center; }
    .submit-row .hint { flex: 1; color: var(--_muted); font-size: 12px; }
    .submit-row .btn.primary { min-width: 110px; min-height: 40px; }
    .extra ::slotted(*) { display: block; }
    .app.nav-hidden .awsui-app-layout__navigation { display: none; }
    kbd { font-family: inherit; font-size: 12px; border: 1px solid var(--_border); border-bottom-width: 2px; border-radius: 4px; padding: 0 5px; background: var(--_canvas); }
    .shortcuts-list { margin: 0; padding: 0; list-style: none; display: grid; grid-template-columns: auto 1fr; gap: 8px 16px; }
    @media (max-width: 900px) {
      .awsui-app-layout__navigation { width: 220px; }
      .label-pane { width: 240px; }
    }
    @media (max-width: 720px) {
      .body, .workspace { flex-direction: column; }
      .awsui-app-layout__navigation { width: auto; border-right: 0; border-bottom: 1px solid var(--_border); }
      .label-pane { width: auto; border-left: 0; border-top: 1px solid var(--_border); }
      .annotation-area.target { padding: 16px; }
      .headerContainer { flex-wrap: wrap; padding: 12px 14px; }
    }
  `;

  // ------------------------------------------------- all-crowd-elements-ready
  P.definedTags = new Set();
  P.define = (tag, cls) => {
    P.definedTags.add(tag);
    if (!customElements.get(tag)) customElements.define(tag, cls);
  };

  let readyFired = false;
  const fireReady = () => {
    if (readyFired) return;
    readyFired = true;
    P.ready = true;
    document.dispatchEvent(new Event('all-crowd-elements-ready'));
    P.postToParent({ type: 'plumbline:ready' });
  };
  const scheduleReady = () => {
    // Our tags are defined synchronously, so whenDefined resolves at once; unknown
    // crowd-* tags (elements Plumbline lacks) are not waited for.
    const present = new Set();
    for (const el of document.querySelectorAll('*')) if (P.definedTags.has(el.localName)) present.add(el.localName);
    // Elements build their shadow DOM when they connect, so the page is ready
    // once every tag is defined: no need to wait for a frame to be painted
    // (which a freshly created iframe may not get for ~100 ms).
    Promise.all([...present].map((t) => customElements.whenDefined(t))).then(() => {
      setTimeout(fireReady, 0);
    });
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', scheduleReady, { once: true });
  else setTimeout(scheduleReady, 0);
})();
