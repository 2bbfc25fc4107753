// People and keys: users (add, invite with a one-time link, disable or
// enable, reset a password, set groups), access keys (create, with the secret shown once; revoke), work
// teams (the groups they offer jobs to) and the audit log, searchable. Every
// action is a call of the console API, which goes through identity/.
import { api, el, fmtTime } from './api.js';

const path = (...parts) => parts.map(encodeURIComponent).join('/');

customElements.define('plb-people', class extends HTMLElement {
  connectedCallback() {
    this.error = el('div', { class: 'error-box', role: 'alert', hidden: true });
    this.notice = el('div', { class: 'note', role: 'status', hidden: true });
    this.users = el('tbody');
    this.keys = el('tbody');
    this.invitations = el('tbody');
    this.inviteLink = el('div', { class: 'note invite-link', role: 'status', hidden: true });
    const inviteName = el('input', { id: 'invite-username', placeholder: 'username', autocomplete: 'off', 'aria-label': 'Username to invite' });
    const inviteGroups = el('input', { id: 'invite-groups', placeholder: 'groups, comma-separated', 'aria-label': 'Groups of the invited user' });
    const inviteDays = el('select', { id: 'invite-expires', 'aria-label': 'The link expires after' },
      el('option', { value: '86400', text: 'expires in 1 day' }),
      el('option', { value: '604800', text: 'expires in 7 days', selected: true }),
      el('option', { value: '2592000', text: 'expires in 30 days' }));
    this.teams = el('tbody');
    this.audit = el('tbody');
    const name = el('input', { id: 'new-username', placeholder: 'username', autocomplete: 'off', 'aria-label': 'Username' });
    const pass = el('input', { id: 'new-password', type: 'password', placeholder: 'password (8+ characters)', autocomplete: 'new-password', 'aria-label': 'Password' });
    const groups = el('input', { id: 'new-groups', placeholder: 'groups, comma-separated', 'aria-label': 'Groups' });
    const isAdmin = el('input', { id: 'new-admin', type: 'checkbox' });
    const search = el('input', { type: 'search', id: 'audit-search', placeholder: 'Search the audit log', 'aria-label': 'Search the audit log' });
    let timer;
    search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => this.loadAudit(search.value.trim()), 250); });
    const table = (id, heads, body) => el('div', { class: 'table-wrap' }, el('table', { id }, el('thead', {}, el('tr', {}, heads.map((h) => el('th', { text: h })))), body));
    this.append(this.error, this.notice,
      el('section', { class: 'card', style: 'margin-bottom:16px' }, el('header', {}, el('h2', { text: 'Users' })),
        el('div', { class: 'toolbar' }, name, pass, groups, el('label', { class: 'row' }, isAdmin, 'admin'),
          el('button', { class: 'btn primary', type: 'button', id: 'add-user', text: 'Add user', onclick: async () => {
            await this.act('POST', '/console/api/users', { username: name.value.trim(), password: pass.value,
              groups: groups.value.split(',').map((g) => g.trim()).filter(Boolean), admin: isAdmin.checked }, `Added ${name.value.trim()}.`);
            name.value = ''; pass.value = ''; groups.value = ''; isAdmin.checked = false;
          } })),
        table('users', ['User', 'Role', 'Groups', 'State', ''], this.users)),
      el('section', { class: 'card', style: 'margin-bottom:16px' }, el('header', {}, el('h2', { text: 'Invitations' })),
        el('div', { class: 'toolbar' }, inviteName, inviteGroups, inviteDays,
          el('button', { class: 'btn primary', type: 'button', id: 'invite', text: 'Create invitation link', onclick: async () => {
            const r = await this.act('POST', '/console/api/invitations', { username: inviteName.value.trim(),
              groups: inviteGroups.value.split(',').map((g) => g.trim()).filter(Boolean), expiresInSeconds: Number(inviteDays.value) });
            if (r) { this.showInvite(r); inviteName.value = ''; inviteGroups.value = ''; }
          } })),
        this.inviteLink,
        table('invitations', ['User', 'Groups', 'Invited by', 'Expires', 'State'], this.invitations)),
      el('section', { class: 'card', style: 'margin-bottom:16px' }, el('header', {}, el('h2', { text: 'Access keys' })),
        table('keys', ['Access key', 'User', 'Created', 'State', ''], this.keys)),
      el('section', { class: 'card', style: 'margin-bottom:16px' }, el('header', {}, el('h2', { text: 'Work teams' })),
        table('teams', ['Team', 'Groups', 'ARN'], this.teams)),
      el('section', { class: 'card' }, el('header', {}, el('h2', { text: 'Audit log' }), search),
        table('audit', ['Time', 'Who', 'Action', 'Target', 'Outcome', 'From'], this.audit)));
    this.load();
  }

  async act(method, url, body, done) {
    this.error.hidden = true;
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

  // The new link, shown once: the server keeps only its hash.
  showInvite(r) {
    const url = `${location.origin}${r.path}`;
    const field = el('input', { id: 'invite-url', class: 'mono', readonly: true, value: url, 'aria-label': 'Invitation link', onfocus: (e) => e.target.select() });
    const copy = el('button', { class: 'btn', type: 'button', id: 'copy-invite', text: 'Copy', onclick: async () => {
      field.select();
      try { await navigator.clipboard.writeText(url); copy.textContent = 'Copied'; } catch (e) { document.execCommand('copy'); }
    } });
    this.inviteLink.replaceChildren(
      el('p', { text: `Send this link to ${r.username}. It works once, until ${fmtTime(r.expires)}, and is shown only now.` }),
      el('div', { class: 'row' }, field, copy));
    this.inviteLink.hidden = false;
    this.notice.hidden = true;
  }

  async load() {
    const [users, keys, teams, invitations] = await Promise.all([api('GET', '/console/api/users'), api('GET', '/console/api/access-keys'),
      api('GET', '/console/api/workteams'), api('GET', '/console/api/invitations')]);
    const stateClass = { pending: 'InProgress', accepted: 'Completed', expired: 'Stopped' };
    this.invitations.replaceChildren(...invitations.invitations.slice().reverse().map((i) => el('tr', { 'data-invitation': i.username },
      el('td', { text: i.username }),
      el('td', { text: i.groups.join(', ') || '–' }),
      el('td', { text: i.invitedBy }),
      el('td', { text: fmtTime(i.expires) }),
      el('td', {}, el('span', { class: `status ${stateClass[i.state]}`, text: i.state })))));
    if (!invitations.invitations.length) this.invitations.replaceChildren(el('tr', {}, el('td', { colspan: '5', class: 'muted', text: 'No invitations yet.' })));
    this.users.replaceChildren(...users.users.map((u) => el('tr', { 'data-user': u.username },
      el('td', { text: u.username }),
      el('td', { text: u.admin ? 'admin' : 'worker' }),
      el('td', { text: u.groups.join(', ') || '–' }),
      el('td', {}, el('span', { class: `status ${u.disabled ? 'Failed' : 'Completed'}`, text: u.disabled ? 'disabled' : 'active' })),
      el('td', { class: 'row' },
        el('button', { class: 'btn', type: 'button', text: u.disabled ? 'Enable' : 'Disable', 'data-action': 'toggle',
          onclick: () => this.act('POST', `/console/api/users/${path(u.username, u.disabled ? 'enable' : 'disable')}`, {}, `${u.username} is ${u.disabled ? 'enabled' : 'disabled'}.`) }),
        el('button', { class: 'btn', type: 'button', text: 'Groups…', onclick: () => {
          const g = prompt(`Groups of ${u.username}, comma-separated:`, u.groups.join(', '));
          if (g != null) this.act('POST', `/console/api/users/${path(u.username, 'groups')}`, { groups: g.split(',').map((x) => x.trim()).filter(Boolean) }, `Groups of ${u.username} set.`);
        } }),
        el('button', { class: 'btn', type: 'button', text: 'Reset password…', onclick: () => {
          const p = prompt(`New password for ${u.username} (8 characters or more):`);
          if (p) this.act('POST', `/console/api/users/${path(u.username, 'password')}`, { password: p }, `Password of ${u.username} reset; their sessions ended.`);
        } }),
        u.admin ? el('button', { class: 'btn', type: 'button', text: 'New access key', 'data-action': 'new-key',
          onclick: () => this.act('POST', `/console/api/users/${path(u.username, 'access-keys')}`, {},
            (k) => `New key for ${k.username}: ${k.AccessKeyId} / secret ${k.SecretAccessKey} (shown only now: copy it).`) }) : null))));
    this.keys.replaceChildren(...keys.keys.map((k) => el('tr', { 'data-key': k.AccessKeyId },
      el('td', { class: 'mono', text: k.AccessKeyId }),
      el('td', { text: k.username }),
      el('td', { text: fmtTime(k.created) }),
      el('td', {}, el('span', { class: `status ${k.active ? 'Completed' : 'Failed'}`, text: k.active ? 'active' : 'revoked' })),
      el('td', {}, k.active && !k.root ? el('button', { class: 'btn danger', type: 'button', text: 'Revoke', 'data-action': 'revoke',
        onclick: () => { if (confirm(`Revoke ${k.AccessKeyId}? Requests signed with it are refused from now on.`)) this.act('POST', `/console/api/access-keys/${path(k.AccessKeyId)}/revoke`, {}, `${k.AccessKeyId} is revoked.`); } }) : null))));
    this.teams.replaceChildren(...teams.workteams.map((t) => el('tr', {},
      el('td', { text: t.name }), el('td', { text: t.groups.join(', ') }), el('td', { class: 'mono', text: t.arn }))));
    await this.loadAudit(this.querySelector('#audit-search').value.trim());
  }

  async loadAudit(q) {
    const r = await api('GET', `/console/api/audit?limit=100&q=${encodeURIComponent(q || '')}`);
    this.audit.replaceChildren(...r.entries.map((e) => el('tr', {},
      el('td', { text: fmtTime(e.time) }), el('td', { text: e.actor }), el('td', { text: e.action }),
      el('td', { text: e.target }), el('td', { text: e.outcome }), el('td', { text: e.source }))));
  }
});
