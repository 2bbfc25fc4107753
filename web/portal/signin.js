// Sign-in page: POST /worker/api/login, then reload /worker/, which the server
// now answers with the job list (and a CSRF token bound to the new session).
'use strict';
(() => {
  const { api } = window.Plumbline;
  const form = document.getElementById('signin');
  const error = document.getElementById('error');
  const button = document.getElementById('submit');
  const user = document.getElementById('username');
  const pass = document.getElementById('password');

  const showError = (text, field) => {
    error.textContent = text;
    error.hidden = false;
    if (field) { field.focus(); field.select(); }
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!user.value.trim()) return showError('Enter your username.', user);
    if (!pass.value) return showError('Enter your password.', pass);
    button.disabled = true;
    button.textContent = 'Signing in…';
    try {
      await api('POST', '/worker/api/login', { username: user.value.trim(), password: pass.value });
      location.replace('/worker/');
    } catch (err) {
      button.disabled = false;
      button.textContent = 'Sign in';
      showError(err.status === 401 ? 'Wrong username or password.' : err.message, pass);
    }
  });
})();
