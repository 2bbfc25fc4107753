// The general crowd elements on one hand-written page: outputs (spec
// crowd-elements.md §3.5 and §4), validation with visible messages, reset,
// tabs revealing an invalid field, dynamic upgrade, and no console errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launch, openPage, ORIGIN, READY_PROBE, waitReady, previewAnswer, SCREENSHOTS } from './lib.mjs';

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>elements</title>
<script src="https://assets.crowd.aws/crowd-html-elements.js"></script></head>
<body style="max-width: 760px; margin: 24px auto; font-family: sans-serif">
<crowd-form>
  <crowd-instructions link-text="Read the instructions"><short-summary><p>Summary text</p></short-summary>
    <detailed-instructions><p>Details</p></detailed-instructions>
    <positive-example>Good one</positive-example><negative-example>Bad one</negative-example></crowd-instructions>
  <crowd-alert type="info">Fill in the form below.</crowd-alert>
  <crowd-card heading="About the item"><p>Card content</p></crowd-card>
  <crowd-input name="title" label="Title" required error-message="A title is required."></crowd-input>
  <crowd-input name="optional" label="Optional"></crowd-input>
  <crowd-text-area name="notes" label="Notes" value="line1" char-counter max-length="200"></crowd-text-area>
  <crowd-checkbox name="attrs" value="blurry" checked>Blurry</crowd-checkbox>
  <crowd-checkbox name="attrs" value="dim">Dim</crowd-checkbox>
  <crowd-checkbox name="agree" required>I agree</crowd-checkbox>
  <crowd-radio-group>
    <crowd-radio-button name="tech" value="tech">Tech</crowd-radio-button>
    <crowd-radio-button name="politics" value="politics">Politics</crowd-radio-button>
  </crowd-radio-group>
  <crowd-toggle-button name="flag" value="nsfw">Inappropriate</crowd-toggle-button>
  <crowd-slider name="score" min="1" max="10" value="4" pin editable></crowd-slider>
  <crowd-tabs>
    <crowd-tab header="First"><p>Nothing to do here.</p></crowd-tab>
    <crowd-tab header="Second"><input name="native" required aria-label="Native field">
      <select name="pick"><option value="x">x</option><option value="y" selected>y</option></select></crowd-tab>
  </crowd-tabs>
  <input type="hidden" name="hid" value="h">
  <div id="errorBox"></div>
  <p><crowd-icon-button icon="search" title="Search"></crowd-icon-button> <crowd-fab label="A" title="Add"></crowd-fab>
     <crowd-badge label="3"></crowd-badge> <crowd-tooltip text="A helpful tip">hover me</crowd-tooltip>
     <crowd-modal link-text="Open modal">Modal body</crowd-modal></p>
  <crowd-button form-action="reset">Reset</crowd-button>
  <crowd-button id="send" form-action="submit" variant="primary">Send</crowd-button>
</crowd-form>
</body></html>`;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

async function open() {
  const { page, errors } = await openPage(browser.context, { '/elements.html': PAGE });
  await page.addInitScript(READY_PROBE);
  await page.goto(ORIGIN + '/elements.html');
  await waitReady(page);
  return { page, errors };
}

test('general elements: refusal, then the documented output of every control', async () => {
  const { page, errors } = await open();
  assert.equal(await page.locator('crowd-form .actions').isVisible(), false, 'no auto Submit when a crowd-button submits');
  await page.locator('#send').click();
  const toast = page.locator('crowd-form .toast');
  await toast.waitFor({ state: 'visible', timeout: 2000 });
  assert.match(await toast.textContent(), /A title is required/);
  assert.ok(await page.locator('crowd-input[name=title] .error').isVisible());
  await page.locator('crowd-input[name=title] input').fill('Hello');
  await page.locator('crowd-checkbox[name=agree]').click();
  await page.locator('#send').click();
  // The native required field sits in the hidden second tab: it is revealed.
  await page.waitForFunction(() => !document.querySelectorAll('crowd-tab')[1].hasAttribute('data-hidden'));
  await page.locator('input[name=native]').fill('n1');
  await page.locator('crowd-radio-button[name=politics]').click();
  await page.locator('crowd-radio-button[name=tech]').click();
  await page.locator('crowd-slider input[type=range]').focus();
  await page.keyboard.press('ArrowRight');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'elements.png'), fullPage: true });
  await page.locator('#send').click();
  assert.deepEqual(await previewAnswer(page), {
    title: 'Hello', notes: 'line1', attrs: { blurry: true, dim: false }, agree: { on: true },
    tech: { tech: true }, politics: { politics: false }, flag: { nsfw: false }, score: 5,
    native: 'n1', pick: 'y', hid: 'h',
  });
  assert.deepEqual(errors, []);
  await page.close();
});

test('general elements: reset, properties, dynamic upgrade, modals', async () => {
  const { page, errors } = await open();
  await page.locator('crowd-input[name=optional] input').fill('x');
  await page.locator('crowd-checkbox[value=dim]').click();
  await page.locator('crowd-toggle-button').click();
  await page.locator('crowd-button[form-action=reset]').click();
  await page.waitForFunction(() => document.querySelector('crowd-input[name=optional]').value === '');
  const state = await page.evaluate(() => ({
    dim: document.querySelector('crowd-checkbox[value=dim]').checked,
    blurry: document.querySelector('crowd-checkbox[value=blurry]').checked,
    toggle: document.querySelector('crowd-toggle-button').checked,
    notes: document.querySelector('crowd-text-area').value,
  }));
  assert.deepEqual(state, { dim: false, blurry: true, toggle: false, notes: 'line1' });
  const dyn = await page.evaluate(async () => {
    const box = document.getElementById('errorBox');
    box.innerHTML = '<crowd-alert type="error" dismissible>Something is wrong</crowd-alert>';
    const a = box.firstElementChild;
    const input = document.querySelector('crowd-input[name=optional]');
    input.value = 'set';
    const v1 = input.value;
    input.value = null;
    return { shadow: !!a.shadowRoot && !!a.shadowRoot.querySelector('.alert.error'), v1, v2: input.value };
  });
  assert.deepEqual(dyn, { shadow: true, v1: 'set', v2: '' });
  await page.locator('#errorBox crowd-alert .close').click();
  assert.equal(await page.locator('#errorBox crowd-alert').isVisible(), false);
  await page.locator('crowd-instructions .trigger').click();
  await page.locator('crowd-instructions dialog[open]').waitFor({ state: 'visible' });
  await page.locator('crowd-instructions .tab[data-tab=examples]').click();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'instructions-modal.png') });
  assert.ok(await page.getByText('Bad one').isVisible());
  await page.keyboard.press('Escape');
  await page.locator('crowd-modal .trigger').click();
  assert.ok(await page.getByText('Modal body').isVisible());
  await page.keyboard.press('Escape');
  assert.deepEqual(errors, []);
  await page.close();
});

test('structured attributes: JS object-literal syntax, and a parse error refuses submission visibly', async () => {
  const html = `<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
    <crowd-form><crowd-classifier-multi-select name="m" header="Pick" categories="[ 'a', &quot;b&quot;, // comment
      'c', ]" exclusion-category="{ text: 'None of these', }"></crowd-classifier-multi-select>
    <crowd-classifier name="broken" header="Broken" categories="['x', "></crowd-classifier></crowd-form>`;
  const { page, errors } = await openPage(browser.context, { '/attrs.html': html });
  await page.addInitScript(READY_PROBE);
  await page.goto(ORIGIN + '/attrs.html');
  await waitReady(page);
  const cats = await page.evaluate(() => [...document.querySelector('crowd-classifier-multi-select').shadowRoot.querySelectorAll('.category-button')].map((b) => b.dataset.category));
  assert.deepEqual(cats, ['a', 'b', 'c', 'None of these']);
  await page.keyboard.press('1');
  await page.keyboard.press('3');
  assert.deepEqual(await page.evaluate(() => document.querySelector('crowd-classifier-multi-select').value), ['a', 'c']);
  await page.keyboard.press('4'); // exclusion clears the others
  assert.deepEqual(await page.evaluate(() => document.querySelector('crowd-classifier-multi-select').value), ['None of these']);
  await page.evaluate(() => document.querySelector('crowd-form').submit());
  const toast = page.locator('crowd-form .toast');
  await toast.waitFor({ state: 'visible', timeout: 2000 });
  assert.match(await toast.textContent(), /categories.*could not be read/i);
  assert.deepEqual(errors, []);
  await page.close();
});
