// KMS keys: the local KMS's keys (kms/), listed with their aliases, state and
// creation; a key's policy, viewed and replaced; keys created (with the users
// who may decrypt), disabled and enabled, scheduled for deletion and
// cancelled. Each action is a call of the console API, which runs the key
// ring's own operation for the signed-in admin (checked against the key's
// policy) and audits it as the KMS API does.
import { api, el, fmtTime } from './api.js';

const keyPath = (id, action) => `/console/api/kms/keys/${encodeURIComponent(id)}${action ? `/${action}` : ''}`;
const list = (text) => text.split(',').map((x) => x.trim()).filter(Boolean);

customElements.define('plb-keys', class extends HTMLElement {
  connectedCallback() {
    this.error = el('div', { class: 'error-box', role: 'alert', hidden: true });
    this.notice = el('div', { class: 'note', role: 'status', hidden: true });
    this.rows = el('tbody');
    this.detail = el('div', { class: 'key-detail', id: 'key-detail', hidden: true });
    const alias = el('input', { id: 'key-alias', placeholder: 'alias (e.g. job-outputs)', autocomplete: 'off', 'aria-label': 'Alias' });
    const description = el('input', { id: 'key-description', placeholder: 'description', 'aria-label': 'Description' });
    const users = el('input', { id: 'key-users', placeholder: 'users who may decrypt, comma-separated', 'aria-label': 'Users who may decrypt' });
    this.append(this.error, this.notice,
      el('section', { class: 'card' },
        el('header', {}, el('h2', { text: 'Keys' })),
        el('div', { class: 'toolbar' }, alias, description, users,
          el('button', { class: 'btn primary', type: 'button', id: 'create-key', text: 'Create key', onclick: async () => {
            const k = await this.act('POST', '/console/api/kms/keys', { alias: alias.value.trim(), description: description.value.trim(),
              allowedUsers: list(users.value) }, (r) => `Created ${r.aliases[0] || r.keyId}.`);
            if (k) { alias.value = ''; description.value = ''; users.value = ''; }
          } })),
        el('div', { class: 'table-wrap' }, el('table', { id: 'keys' },
          el('thead', {}, el('tr', {}, ['Key', 'Description', 'State', 'Created', ''].map((h) => el('th', { scope: 'col', text: h })))),
          this.rows)),
        this.detail));
    this.load();
  }

  async act(method, url, body, done) {
    this.error.hidden = true;
    this.notice.hidden = true;
    try {
      const r = await api(method, url, body);
      if (done) { this.notice.textContent = typeof done === 'function' ? done(r) : done; this.notice.hidden = false; }
      await this.load();
      return r;
    } catch (err) {
      this.error.textContent = err.message;
      this.error.hidden = false;
      return null;
    }
  }

  async load() {
    let r;
    try {
      r = await api('GET', '/console/api/kms/keys');
    } catch (err) {
      this.error.textContent = `Could not list the keys: ${err.message}`;
      this.error.hidden = false;
      return;
    }
    if (!r.keys.length) {
      this.rows.replaceChildren(el('tr', {}, el('td', { colspan: '5', class: 'empty', text: 'No keys yet. A job’s output is encrypted with the key its OutputConfig.KmsKeyId names.' })));
      return;
    }
    this.rows.replaceChildren(...r.keys.map((k) => {
      const managed = k.keyManager === 'AWS';
      const button = (text, action, props = {}) => el('button', { class: `btn ${props.cls || ''}`, type: 'button', text, 'data-action': action, onclick: props.onclick });
      const actions = [button('Policy', 'policy', { onclick: () => this.show(k.keyId) })];
      if (!managed) {
        if (k.state === 'PendingDeletion') {
          actions.push(button('Cancel deletion', 'cancel-deletion', { onclick: () => this.act('POST', keyPath(k.keyId, 'cancel-deletion'), {}, `Deletion of ${k.aliases[0] || k.keyId} cancelled; the key is disabled until enabled again.`) }));
        } else {
          actions.push(k.enabled
            ? button('Disable', 'disable', { onclick: () => this.act('POST', keyPath(k.keyId, 'disable'), {}, `${k.aliases[0] || k.keyId} is disabled: nothing can be encrypted or decrypted with it.`) })
            : button('Enable', 'enable', { onclick: () => this.act('POST', keyPath(k.keyId, 'enable'), {}, `${k.aliases[0] || k.keyId} is enabled.`) }));
          actions.push(button('Schedule deletion…', 'schedule-deletion', { cls: 'danger', onclick: () => {
            const days = prompt(`Delete ${k.aliases[0] || k.keyId} after how many days (7 to 30)? Outputs encrypted with it can no longer be read once it is gone.`, '30');
            if (days != null) this.act('POST', keyPath(k.keyId, 'schedule-deletion'), { days: Number(days) }, (x) => `${x.aliases[0] || x.keyId} will be deleted on ${fmtTime(x.deletionDate)}.`);
          } }));
        }
      }
      return el('tr', { 'data-key': k.keyId },
        el('td', {}, el('div', { text: k.aliases.join(', ') || '(no alias)', style: 'font-weight:600' }), el('div', { class: 'mono muted', text: k.keyId })),
        el('td', { text: k.description || '–' }),
        el('td', {}, el('span', { class: `status ${k.state}`, text: k.state }),
          k.deletionDate ? el('div', { class: 'muted', text: `deleted on ${fmtTime(k.deletionDate)}` }) : null),
        el('td', { text: fmtTime(k.created) }),
        el('td', { class: 'row' }, actions));
    }));
  }

  // A key's ARN and policy, which may be replaced here.
  async show(id) {
    this.error.hidden = true;
    let k;
    try {
      k = await api('GET', keyPath(id));
    } catch (err) {
      this.error.textContent = err.message;
      this.error.hidden = false;
      return;
    }
    let text = k.policy;
    try { text = JSON.stringify(JSON.parse(k.policy), null, 2); } catch (e) { /* shown as stored */ }
    const policy = el('textarea', { class: 'code', id: 'key-policy', spellcheck: 'false', 'aria-label': 'Key policy' });
    policy.value = text;
    this.detail.replaceChildren(
      el('div', { class: 'row' }, el('h2', { text: `Policy of ${k.aliases[0] || k.keyId}`, style: 'flex:1' }),
        el('button', { class: 'btn quiet', type: 'button', text: 'Close', onclick: () => { this.detail.hidden = true; } })),
      el('p', { class: 'mono muted', text: k.arn, style: 'margin:0;word-break:break-all' }),
      el('p', { class: 'muted', style: 'margin:0', text: 'Who may use the key’s data (Decrypt) must be named in an Allow statement; an Allow for the account’s root lets admins manage the key only.' }),
      policy,
      k.keyManager === 'AWS' ? el('p', { class: 'muted', text: 'AWS managed key: its policy cannot be changed.' })
        : el('div', { class: 'row' }, el('button', { class: 'btn primary', type: 'button', id: 'save-policy', text: 'Save policy', onclick: async () => {
          const saved = await this.act('POST', keyPath(id, 'policy'), { policy: policy.value }, 'Policy saved.');
          if (saved) this.show(id);
        } })));
    this.detail.hidden = false;
    this.detail.scrollIntoView({ block: 'nearest' });
  }
});
