// Invitation page (/worker/invite#TOKEN): checks the one-time link's token,
// lets the invitee choose a password, and lands them signed in on /worker/.
// The token is read from the fragment, which the browser never sends; it
// goes to the server only in the JSON bodies below.
'use strict';
(() => {
  const { api } = window.Plumbline;
  const $ = (id) => document.getElementById(id);
  const form = $('accept');
  const error = $('error');
  const button = $('submit');
  const token = decodeURIComponent(location.hash.replace(/^#/, '')).trim();

  // The link cannot be used: say why, instead of a form.
  const refuse = (message) => {
    $('card').classList.add('refused');
    $('title').textContent = 'This invitation link cannot be used';
    $('lead').textContent = message;
    form.hidden = true;
  };
  const showError = (text, field) => {
    error.textContent = text;
    error.hidden = false;
    if (field) { field.focus(); field.select(); }
  };

  async function check() {
    if (!token) return refuse('The link has no invitation in it: open the whole link you were sent, or ask your administrator for a new one.');
    try {
      const { body } = await api('POST', '/worker/api/invitation', { token });
      $('title').textContent = `Welcome, ${body.username}`;
      $('lead').textContent = `Choose a password for your labeling account. This link works once, until ${new Date(body.expires).toLocaleString()}.`;
      $('username').value = body.username;
      form.hidden = false;
      $('password').focus();
    } catch (err) {
      refuse(err.message);
    }
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const pass = $('password');
    const again = $('again');
    if (pass.value.length < 8) return showError('Choose a password of at least 8 characters.', pass);
    if (again.value !== pass.value) return showError('The two passwords differ; type the same one twice.', again);
    button.disabled = true;
    button.textContent = 'Setting up your account…';
    try {
      await api('POST', '/worker/api/invitation/accept', { token, password: pass.value });
      // Signed in: the link is spent, so it leaves the address bar and history.
      location.replace('/worker/');
    } catch (err) {
      button.disabled = false;
      button.textContent = 'Set password and sign in';
      if (err.status === 400) showError(err.message, pass);
      else refuse(err.message);
    }
  });

  // Another link opened in this tab changes only the fragment: start again.
  window.addEventListener('hashchange', () => location.reload());
  check();
})();
