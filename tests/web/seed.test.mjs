// The seed template (shared/seed/worker_gui.html) must work unchanged on
// Plumbline's crowd elements. See web/crowd/ and spec crowd-elements.md §6 rows 6b-6d.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launch, openPage, renderSeed, ORIGIN, READY_PROBE, waitReady, previewAnswer, SCREENSHOTS } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

async function openSeed(viewport) {
  const { page, errors } = await openPage(browser.context, { '/seed.html': renderSeed() });
  if (viewport) await page.setViewportSize(viewport);
  await page.addInitScript(READY_PROBE);
  await page.goto(ORIGIN + '/seed.html');
  await waitReady(page);
  return { page, errors };
}

test('seed renders: ready fires once, injected Submit is in the label pane, break-all applied', async () => {
  const { page, errors } = await openSeed();
  await page.waitForTimeout(150);
  assert.equal(await page.evaluate(() => window.__crowdReadyCount), 1);
  const info = await page.evaluate(() => {
    const sr = document.querySelector('crowd-classifier').shadowRoot;
    const wrapper = sr.querySelector('.annotation-area .category-picker-wrapper');
    const injected = [...wrapper.querySelectorAll('button.awsui-button')];
    const target = sr.querySelector('.annotation-area.target');
    const strong = document.querySelector('classification-target strong');
    const rect = injected[0] && injected[0].getBoundingClientRect();
    return {
      injected: injected.map((b) => b.textContent),
      visible: !!rect && rect.width > 0 && rect.height > 0,
      targetStyle: target.style.wordBreak,
      inheritedBreak: getComputedStyle(strong).wordBreak,
      categories: [...sr.querySelectorAll('button.category-button')].map((b) => b.dataset.category),
      formChild: document.querySelector('crowd-form > form > crowd-classifier') !== null,
      slot: document.querySelector('short-instructions').getAttribute('slot'),
    };
  });
  assert.deepEqual(info.injected, ['Submit']);
  assert.ok(info.visible, 'injected Submit button is laid out');
  assert.equal(info.targetStyle, 'break-all');
  assert.equal(info.inheritedBreak, 'break-all', 'break-all reaches the slotted target text');
  assert.deepEqual(info.categories, ['person', 'animal', 'plant']);
  assert.ok(info.formChild, 'crowd-form > form > crowd-classifier');
  assert.equal(info.slot, 'short-instructions');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'seed-1280x800.png') });
  assert.deepEqual(errors, []);
  await page.close();
});

test('seed: choosing a category and clicking the injected Submit yields {"crowd-classifier":{"label":...}}', async () => {
  const { page, errors } = await openSeed();
  await page.locator('crowd-classifier button.category-button', { hasText: 'animal' }).click();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'seed-selected.png') });
  await page.locator('crowd-classifier .category-picker-wrapper button.awsui-button').click();
  assert.deepEqual(await previewAnswer(page), { 'crowd-classifier': { label: 'animal' } });
  await page.screenshot({ path: path.join(SCREENSHOTS, 'seed-submitted.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('seed: number keys choose a category and Enter submits', async () => {
  const { page, errors } = await openSeed();
  await page.keyboard.press('3');
  assert.equal(await page.evaluate(() => document.querySelector('crowd-classifier').value), 'plant');
  await page.keyboard.press('1');
  await page.keyboard.press('Enter');
  assert.deepEqual(await previewAnswer(page), { 'crowd-classifier': { label: 'person' } });
  assert.deepEqual(errors, []);
  await page.close();
});

test("seed: 'r' resets the choice and an empty answer is refused with a visible message", async () => {
  const { page, errors } = await openSeed();
  const events = await page.evaluate(() => {
    window.__submits = 0;
    document.querySelector('crowd-form').addEventListener('submit', () => window.__submits++);
  });
  void events;
  await page.locator('crowd-classifier button.category-button', { hasText: 'person' }).click();
  await page.keyboard.press('r');
  assert.equal(await page.evaluate(() => document.querySelector('crowd-classifier').value), '');
  assert.equal(await page.locator('crowd-classifier button.category-button.selected').count(), 0);
  await page.keyboard.press('Enter');
  const toast = page.locator('crowd-form .toast');
  await toast.waitFor({ state: 'visible', timeout: 2000 });
  assert.match(await toast.textContent(), /choose a category/i);
  const inline = page.locator('crowd-classifier .label-pane-footer .field-error');
  assert.ok(await inline.isVisible(), 'inline error in the label pane');
  assert.equal(await page.locator('crowd-form #answers-box').isVisible(), false);
  assert.equal(await page.evaluate(() => window.__submits), 0, 'no submit event when invalid');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'seed-refused.png') });
  // The refusal does not lock the form: choose, then Enter submits.
  await page.keyboard.press('2');
  assert.equal(await inline.isVisible(), false, 'error clears once a category is chosen');
  await page.keyboard.press('Enter');
  assert.deepEqual(await previewAnswer(page), { 'crowd-classifier': { label: 'animal' } });
  assert.equal(await page.evaluate(() => window.__submits), 1);
  assert.deepEqual(errors, []);
  await page.close();
});

test('seed in a sandboxed iframe posts plumbline:ready, plumbline:invalid and plumbline:submit to the parent', async () => {
  const portal = `<!doctype html><title>portal</title><body style="margin:0">
    <iframe id="task" sandbox="allow-scripts" src="/seed.html" style="width:100%;height:780px;border:0"></iframe>
    <script>window.__msgs = []; addEventListener('message', (e) => window.__msgs.push(e.data));</script></body>`;
  const { page, errors } = await openPage(browser.context, { '/seed.html': renderSeed(), '/portal.html': portal });
  await page.goto(ORIGIN + '/portal.html');
  await page.waitForFunction(() => window.__msgs.some((m) => m.type === 'plumbline:ready'), null, { timeout: 5000 });
  const frame = page.frameLocator('#task');
  await frame.locator('crowd-classifier .category-picker-wrapper button.awsui-button').click();
  await page.waitForFunction(() => window.__msgs.some((m) => m.type === 'plumbline:invalid'), null, { timeout: 3000 });
  await frame.locator('crowd-classifier button.category-button', { hasText: 'plant' }).click();
  await frame.locator('crowd-classifier .category-picker-wrapper button.awsui-button').click();
  await page.waitForFunction(() => window.__msgs.some((m) => m.type === 'plumbline:submit'), null, { timeout: 3000 });
  const msgs = await page.evaluate(() => window.__msgs);
  const submit = msgs.filter((m) => m.type === 'plumbline:submit');
  assert.equal(submit.length, 1);
  assert.deepEqual(submit[0].answer, { 'crowd-classifier': { label: 'plant' } });
  assert.match(msgs.find((m) => m.type === 'plumbline:invalid').message, /choose a category/i);
  assert.equal(msgs.filter((m) => m.type === 'plumbline:ready').length, 1);
  // A second submit while the first is in flight is ignored (re-entrancy guard).
  await frame.locator('body').press('Enter');
  await page.waitForTimeout(100);
  assert.equal((await page.evaluate(() => window.__msgs)).filter((m) => m.type === 'plumbline:submit').length, 1);
  // The portal may refuse the answer; the form unlocks and shows the message.
  await page.evaluate(() => document.getElementById('task').contentWindow.postMessage({ type: 'plumbline:submit-result', ok: false, message: 'Lease expired' }, '*'));
  await frame.locator('crowd-form .toast', { hasText: 'Lease expired' }).waitFor({ state: 'visible', timeout: 2000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test('seed at a narrow width (390x800) stacks without horizontal overflow', async () => {
  const { page, errors } = await openSeed({ width: 390, height: 800 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `horizontal overflow ${overflow}px`);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'seed-390x800.png'), fullPage: true });
  await page.keyboard.press('2');
  await page.locator('crowd-classifier .category-picker-wrapper button.awsui-button').click();
  assert.deepEqual(await previewAnswer(page), { 'crowd-classifier': { label: 'animal' } });
  assert.deepEqual(errors, []);
  await page.close();
});
