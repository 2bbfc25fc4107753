// The console's sign-in: POST /console/api/login, then reload /console/, which
// the server now answers with the job list (and a CSRF token of the session).
import { api } from './api.js';

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
    await api('POST', '/console/api/login', { username: user.value.trim(), password: pass.value });
    location.replace(location.pathname.startsWith('/console') ? location.pathname : '/console/');
  } catch (err) {
    button.disabled = false;
    button.textContent = 'Sign in';
    if (err.status === 401) showError('Wrong username or password.', pass);
    else if (err.code === 'NotAdmin') showError('This account is a worker\'s: the console is only for admins. Workers sign in at /worker/.', user);
    else showError(err.message, pass);
  }
});
