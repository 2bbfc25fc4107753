/*
 * <crowd-form>: gathers every answer on the page into one JSON object.
 *
 * Light DOM: on upgrade the children move into a native <form> (crowd-form > form),
 * also children the parser adds later. `.form` returns it.
 * Shadow DOM: the slot, an auto Submit button (only when nothing else submits),
 * a refusal toast, and #answers-box (preview mode).
 *
 * Submit pipeline (spec crowd-elements.md §3.4): re-entrancy guard -> validation
 * (crowd fields + native constraint validation) -> cancelable `submit` event ->
 * serialization -> this._submitHelperForm(answers).
 *
 * Delivery (DESIGN.md security model): inside the portal's sandboxed iframe the
 * answer goes to the parent with postMessage({type:'plumbline:submit', answer}).
 * The portal may reply {type:'plumbline:submit-result', ok:false, message} to
 * unlock the form. Without a parent frame (local preview) the JSON is shown in
 * #answers-box instead.
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];

  // Elements that carry their own Submit button; the form adds none then.
  const ANNOTATORS = ['crowd-classifier', 'crowd-classifier-multi-select', 'crowd-image-classifier',
    'crowd-image-classifier-multi-select', 'crowd-bounding-box', 'crowd-polygon', 'crowd-keypoint', 'crowd-line',
    'crowd-polyline', 'crowd-semantic-segmentation', 'crowd-instance-segmentation', 'crowd-entity-annotation',
    'crowd-textract-analyze-document', 'crowd-rekognition-detect-moderation-labels', 'crowd-text-ranking',
    'crowd-question-answer-generation'];
  const SUBMITTERS = ANNOTATORS.join(',') + ',crowd-button[form-action="submit"],input[type="submit"],input[type="image"],button[type="submit"],button:not([type])';
  const NON_VALUE_INPUTS = ['submit', 'button', 'reset', 'image', 'file'];

  const REGION_STYLE_ID = 'plumbline-crowd-region-style';
  // Regions placed directly in a crowd-form (no annotator) are shown as panels.
  const REGION_CSS = `
    crowd-form short-instructions:not([slot]), crowd-form full-instructions:not([slot]) {
      display: block; margin: 0 0 16px; padding: 14px 18px; border: 1px solid #d5d9e2; border-radius: 8px;
      background: #fff; line-height: 1.55; }
    crowd-form short-instructions:not([slot])::before { content: "Instructions"; display: block; font-weight: 650; margin-bottom: 6px; }
    crowd-form short-instructions[header]:not([slot])::before { content: attr(header); }
    crowd-form full-instructions:not([slot])::before { content: "Full instructions"; display: block; font-weight: 650; margin-bottom: 6px; }
    crowd-form full-instructions[header]:not([slot])::before { content: attr(header); }
  `;

  const isPlainObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

  class CrowdForm extends P.CrowdElement {
    constructor() {
      super();
      this._state = 'idle'; // idle | submitting | done
      this._form = null;
    }

    get form() { return this._ensureForm(); }

    _render() {
      this.shadowRoot.innerHTML = `
        <style>${P.BASE_CSS}
          :host { display: block; }
          .actions { margin-top: 20px; display: flex; justify-content: flex-end; }
          .actions .btn { min-width: 120px; min-height: 42px; font-size: 15px; }
          .toast { position: fixed; left: 50%; bottom: 24px; transform: translateX(-50%); z-index: 2147483000;
            max-width: min(560px, calc(100vw - 32px)); padding: 12px 16px 12px 14px; border-radius: 10px;
            background: #2b1d3f; color: #fff; font-size: 15px; line-height: 1.4; box-shadow: 0 12px 32px rgba(0,0,0,.28);
            display: flex; gap: 10px; align-items: flex-start; }
          .toast .icon { color: #ffb4a8; margin-top: 1px; }
          #answers-box { margin-top: 20px; border: 1px solid var(--_border); border-left: 4px solid var(--_success);
            border-radius: 8px; background: var(--_surface); padding: 12px 16px; }
          #answers-box h3 { margin: 0 0 8px; font-size: 14px; color: var(--_success); }
          #answers-box p { margin: 0 0 8px; color: var(--_muted); font-size: 13px; }
          #answers-box pre { margin: 0; padding: 12px; background: var(--_canvas); border-radius: 6px; overflow: auto;
            font: 13px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: pre-wrap; overflow-wrap: anywhere; }
          .busy { position: fixed; inset: 0; background: rgba(255,255,255,.6); display: flex; align-items: center;
            justify-content: center; z-index: 2147482000; font-size: 16px; font-weight: 600; color: var(--_primary); }
        </style>
        <slot></slot>
        <div class="actions" hidden><button type="submit" class="btn primary">Submit</button></div>
        <section id="answers-box" hidden aria-live="polite">
          <h3>Submitted answer (preview)</h3>
          <p>This page is not running in a Plumbline worker portal, so the answer is shown here instead of being sent.</p>
          <pre></pre>
        </section>
        <div class="busy" hidden>Submitting…</div>
        <div class="toast" role="alert" hidden>${P.icon('error')}<span class="toast-text"></span></div>`;
      this.shadowRoot.querySelector('.actions button').addEventListener('click', () => this.submit());
    }

    _onConnect() {
      this._ensureForm();
      if (!this._docListeners) {
        this._docListeners = true;
        const late = () => { this._adopt(); this._updateAutoSubmit(); this._styleRegions(); };
        if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', late, { once: true });
        else setTimeout(late, 0);
        window.addEventListener('message', (e) => this._onMessage(e));
      }
    }

    _ensureForm() {
      if (this._form) return this._form;
      const form = document.createElement('form');
      form.noValidate = true; // validation is ours (spec §3.6)
      form.setAttribute('novalidate', '');
      form.addEventListener('submit', (e) => {
        // Native submitters and implicit submission: never navigate.
        e.preventDefault();
        e.stopPropagation();
        this.submit();
      });
      form.addEventListener('reset', (e) => {
        if (this._resetting) { e.stopPropagation(); return; }
        e.preventDefault(); // a native reset button: run the full reset instead
        this.reset();
      });
      this._form = form;
      this._adopt();
      this.appendChild(form);
      this._observer = new MutationObserver(() => { this._adopt(); this._scheduleUpdate(); });
      this._observer.observe(this, { childList: true });
      return form;
    }

    // Moves every light-DOM child except our <form> into it, in order.
    _adopt() {
      const form = this._form;
      if (!form) return;
      const nodes = [...this.childNodes].filter((n) => n !== form);
      if (!nodes.length) return;
      for (const n of nodes) form.appendChild(n);
    }

    _scheduleUpdate() {
      if (this._updatePending) return;
      this._updatePending = true;
      queueMicrotask(() => { this._updatePending = false; this._updateAutoSubmit(); });
    }

    _updateAutoSubmit() {
      const actions = this.shadowRoot.querySelector('.actions');
      if (!actions || !this._form) return;
      actions.hidden = !!this._form.querySelector(SUBMITTERS);
    }

    _styleRegions() {
      if (document.getElementById(REGION_STYLE_ID)) return;
      if (!this._form.querySelector('short-instructions:not([slot]), full-instructions:not([slot])')) return;
      const st = document.createElement('style');
      st.id = REGION_STYLE_ID;
      st.textContent = REGION_CSS;
      (document.head || document.documentElement).appendChild(st);
    }

    // ------------------------------------------------------------ fields
    // Elements that contribute to the answer, in document order.
    _fields() {
      const out = [];
      const form = this._ensureForm();
      for (const el of form.querySelectorAll('*')) {
        if (el._crowdField) { out.push({ el, crowd: true }); continue; }
        const tag = el.localName;
        if (tag === 'input' || tag === 'select' || tag === 'textarea') {
          if (tag === 'input' && NON_VALUE_INPUTS.includes((el.type || '').toLowerCase())) continue;
          out.push({ el, crowd: false });
        }
      }
      return out;
    }

    _validate() {
      const problems = [];
      const seenRadio = new Set();
      for (const { el, crowd } of this._fields()) {
        if (crowd) {
          if (el.disabled) continue;
          const msg = el._crowdValidate ? el._crowdValidate() : '';
          if (msg) problems.push({ el, message: msg });
          continue;
        }
        if (el.matches(':disabled')) continue;
        if (el.type === 'radio') {
          if (seenRadio.has(el.name)) continue;
        }
        if (!el.checkValidity()) {
          if (el.type === 'radio') seenRadio.add(el.name);
          const label = el.getAttribute('aria-label') || el.name || '';
          problems.push({ el, message: (label ? `${label}: ` : '') + (el.validationMessage || 'This field is invalid.'), native: true });
        }
      }
      return problems;
    }

    _collect() {
      const answers = {};
      for (const { el, crowd } of this._fields()) {
        if (crowd) {
          if (!el.disabled && el.name) el._crowdContribute(answers);
          continue;
        }
        const name = el.name;
        if (!name || el.matches(':disabled')) continue;
        const tag = el.localName;
        const type = (el.type || '').toLowerCase();
        if (tag === 'input' && (type === 'checkbox' || type === 'radio')) {
          const obj = isPlainObject(answers[name]) ? answers[name] : (answers[name] = {});
          obj[el.value] = el.checked;
        } else if (tag === 'select' && el.multiple) {
          answers[name] = [...el.selectedOptions].map((o) => o.value);
        } else {
          answers[name] = el.value;
        }
      }
      return answers;
    }

    // ---------------------------------------------------------- pipeline
    submit() {
      if (this._state !== 'idle') return false;
      const problems = this._validate();
      if (problems.length) {
        this._refuse(problems);
        return false;
      }
      this._hideToast();
      const ev = new Event('submit', { bubbles: true, cancelable: true });
      if (!this.dispatchEvent(ev)) return false;
      this._state = 'submitting';
      let answers;
      try {
        answers = this._collect();
      } catch (e) {
        this._state = 'idle';
        this._showToast(`Could not read the answers: ${e.message}`);
        return false;
      }
      this._lastAnswers = answers;
      // Looked up at call time: harnesses replace it (spec §3.2).
      this._submitHelperForm(answers);
      return true;
    }

    _refuse(problems) {
      const first = problems[0];
      const message = problems.length === 1 ? first.message : `${first.message} (${problems.length} fields need attention)`;
      this._showToast(message);
      // Containers that hide content (crowd-tabs) show the field first.
      for (let n = first.el.parentElement; n; n = n.parentElement) if (typeof n._reveal === 'function') n._reveal(first.el);
      try {
        if (first.el._crowdFocus) first.el._crowdFocus();
        else if (first.native) { first.el.focus({ preventScroll: false }); first.el.reportValidity(); }
        else first.el.focus();
      } catch (e) { /* focus is best effort */ }
      P.postToParent({ type: 'plumbline:invalid', message });
      this.dispatchEvent(new CustomEvent('plumbline-invalid', { bubbles: true, detail: { message, problems: problems.map((p) => p.message) } }));
    }

    _showToast(text) {
      const t = this.shadowRoot.querySelector('.toast');
      if (!t) return;
      t.querySelector('.toast-text').textContent = text;
      t.hidden = false;
      clearTimeout(this._toastTimer);
      this._toastTimer = setTimeout(() => { t.hidden = true; }, 8000);
    }
    _hideToast() {
      const t = this.shadowRoot.querySelector('.toast');
      if (t) t.hidden = true;
    }

    _serializeForm() {
      return { taskAnswers: JSON.stringify([this._collect()]) };
    }

    _submitHelperForm(answers) {
      if (answers === undefined) answers = this._lastAnswers || this._collect();
      const inFrame = window.parent && window.parent !== window;
      if (inFrame) {
        this._form.inert = true;
        this.shadowRoot.querySelector('.busy').hidden = false;
        P.postToParent({ type: 'plumbline:submit', answer: answers });
        return;
      }
      const box = this.shadowRoot.querySelector('#answers-box');
      box.querySelector('pre').textContent = JSON.stringify(answers, null, 2);
      box.hidden = false;
      box.scrollIntoView({ block: 'nearest' });
      // Preview mode: allow another submission, but not from the same activation
      // (a native submit may follow a click handler that already called submit()).
      setTimeout(() => { if (this._state === 'submitting') this._state = 'idle'; }, 0);
    }

    _onMessage(e) {
      if (e.source !== window.parent || window.parent === window) return;
      const d = e.data;
      if (!d || d.type !== 'plumbline:submit-result') return;
      this.shadowRoot.querySelector('.busy').hidden = true;
      if (d.ok) {
        this._state = 'done';
      } else {
        this._state = 'idle';
        this._form.inert = false;
        this._showToast(d.message || 'The answer was not accepted. Please try again.');
      }
    }

    reset() {
      this._hideToast();
      this._resetting = true;
      try { this._ensureForm().reset(); } finally { this._resetting = false; }
      for (const { el, crowd } of this._fields()) if (crowd && el._crowdReset) el._crowdReset();
      const box = this.shadowRoot.querySelector('#answers-box');
      if (box) box.hidden = true;
      this.dispatchEvent(new Event('reset', { bubbles: true }));
    }
  }

  P.define('crowd-form', CrowdForm);
})();
