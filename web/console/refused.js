// The page a worker's session gets on the console. "Sign in as someone else"
// ends this worker's session through the worker API (the console's own
// routes refuse a worker) and goes back to the console's sign-in.
import { meta } from './api.js';

document.getElementById('switch').addEventListener('click', async () => {
  try {
    await fetch('/worker/api/logout', { method: 'POST', credentials: 'same-origin',
      headers: { 'X-CSRF-Token': meta('plumbline-csrf'), 'Content-Type': 'application/json' }, body: '{}' });
  } catch (e) { /* the sign-in page follows either way */ }
  location.assign('/console/');
});
