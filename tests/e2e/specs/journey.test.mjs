// The learner's journey: progress that survives a reload (and corrupt storage), the reset
// control, graded hints ending in "show me", predict-then-run for the explorer and for real
// threads, the `?` keyboard overlay, what a screen reader hears from the live regions, and
// reduced motion.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPage, shot, assertClean } from '../lib/harness.mjs';
import { openLesson } from '../lib/lesson-page.mjs';

let server, browser;
before(async () => { server = await serve(); browser = await launch(); });
after(async () => { await browser?.close(); server?.stop(); });

const KEY = 'lockstep.progress';

async function homeProgress(page, origin, slug) {
  await page.goto(`${origin}/#/`);
  const link = page.locator(`[data-testid=lesson-link][data-lesson="${slug}"]`);
  await link.waitFor();
  return link.getAttribute('data-progress');
}

/** Presses keys one at a time, waiting for each step to render. */
async function keys(page, lesson, ...ks) {
  for (const k of ks) {
    const before = (await page.getByTestId('step-count').textContent()).trim();
    await page.keyboard.press(k);
    await page.waitForFunction(b => document.querySelector('[data-testid=step-count]').textContent.trim() !== b, before);
  }
}

test('a goal met by stepping is remembered across a reload, shown on the course map, and reset', async () => {
  const { page, context, problems } = await openPage(browser, server.origin);
  assert.equal(await homeProgress(page, server.origin, 'race-condition'), '0/2');
  assert.equal(await page.getByTestId('reset-progress').count(), 0, 'nothing to reset yet');
  await page.goto(`${server.origin}/#/lesson/race-condition?v=no-lock`);
  await page.getByTestId('lesson').waitFor();
  assert.equal(await page.getByTestId('goal').getAttribute('data-met'), 'false');
  // T1 reads 0; T2 runs all four steps (counter = 1); T1 adds and stores 1: an update lost.
  await keys(page, null, '1', '2', '2', '2', '2', '1', '1', '1');
  await page.getByTestId('goal-met').waitFor();
  assert.equal(await page.getByTestId('lesson-progress').getAttribute('data-progress'), '1/2');
  // Reopen with no schedule in the link: only what was stored can say the goal was met.
  await page.goto(`${server.origin}/#/`);
  await page.goto(`${server.origin}/#/lesson/race-condition?v=no-lock`);
  await page.reload();
  await page.getByTestId('lesson').waitFor();
  assert.equal((await page.getByTestId('step-count').textContent()).trim(), '0');
  assert.equal(await page.getByTestId('goal').getAttribute('data-met'), 'true', 'remembered after reload');
  const stored = JSON.parse(await page.evaluate(k => localStorage.getItem(k), KEY));
  assert.equal(stored.version, 1);
  assert.deepEqual(stored.met['race-condition'], ['no-lock']);
  assert.equal(await homeProgress(page, server.origin, 'race-condition'), '1/2');
  await page.screenshot({ path: shot('journey-home-progress.png'), fullPage: true });
  await page.getByTestId('reset-progress').click();
  await page.waitForFunction(() => document.activeElement?.dataset.testid === 'reset-confirm');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('[data-lesson="race-condition"]').dataset.progress === '0/2');
  assert.equal(await page.evaluate(k => localStorage.getItem(k), KEY), null);
  // A link that restores a run ending in the bug does not meet the goal for the learner.
  await page.goto(`${server.origin}/#/lesson/race-condition?v=no-lock&s=1.ab4a3`);
  await page.getByTestId('lesson').waitFor();
  await page.getByTestId('outcome').waitFor();
  assert.equal(await page.getByTestId('goal').getAttribute('data-met'), 'false');
  assertClean(problems);
  await context.close();
});

test('corrupt, foreign or old stored progress is ignored with no error and no lost page', async () => {
  const cases = [
    '{not json', 'null', '[1,2,3]', '"text"', '{"version":99,"met":{"race-condition":["no-lock"]}}',
    '{"version":1,"met":{"race-condition":"no-lock"}}', '{"version":1,"met":{"nope":["x"],"race-condition":["gone"]}}',
    '\u0000\uffff',
  ];
  for (const text of cases) {
    const { page, context, problems } = await openPage(browser, server.origin);
    await context.addInitScript(([k, v]) => localStorage.setItem(k, v), [KEY, text]);
    assert.equal(await homeProgress(page, server.origin, 'race-condition'), '0/2', text);
    await page.goto(`${server.origin}/#/lesson/race-condition`);
    await page.getByTestId('lesson').waitFor();
    await page.keyboard.press('1');
    await page.waitForFunction(() => document.querySelector('[data-testid=step-count]').textContent.trim() === '1');
    assertClean(problems);
    await context.close();
  }
  // Storage that throws on every access (as some privacy modes do) leaves the app working.
  const { page, context, problems } = await openPage(browser, server.origin);
  await context.addInitScript(() => {
    const fail = () => { throw new DOMException('denied', 'SecurityError'); };
    Object.defineProperty(Storage.prototype, 'getItem', { value: fail });
    Object.defineProperty(Storage.prototype, 'setItem', { value: fail });
  });
  assert.equal(await homeProgress(page, server.origin, 'race-condition'), '0/2');
  // Meeting a goal writes progress: refused, it still counts for this visit.
  await page.goto(`${server.origin}/#/lesson/race-condition?v=no-lock`);
  await page.getByTestId('lesson').waitFor();
  await keys(page, null, '1', '2', '2', '2', '2', '1', '1', '1');
  await page.getByTestId('goal-met').waitFor();
  assertClean(problems);
  await context.close();
});

test('graded hints: a nudge, a stronger hint, then "show me" replays the bug and meets the goal', async () => {
  const { page, context, problems } = await openLesson(browser, server.origin, 'deadlock');
  const hints = page.getByTestId('hints');
  assert.equal(await hints.getAttribute('data-shown'), '0');
  await page.getByTestId('hint-more').click();
  await page.locator('[data-testid=hint][data-level="1"]').waitFor();
  await page.getByTestId('hint-more').click();
  await page.locator('[data-testid=hint][data-level="2"]').waitFor();
  assert.equal(await page.getByTestId('hint-more').count(), 0, 'two levels of text');
  // The button became "show me" in place: keyboard focus is still on it.
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'show-me');
  assert.ok((await page.locator('[data-testid=hint]').allTextContents()).every(t => t.trim().length > 20));
  await page.screenshot({ path: shot('journey-hints.png') });
  await page.getByTestId('show-me').click();
  await page.getByTestId('goal-met').waitFor({ timeout: 60_000 });
  assert.equal(await page.getByTestId('outcome').getAttribute('data-kind'), 'deadlock');
  // The safe variant's "show me" plays a whole run, which meets its goal too.
  await page.getByRole('radio', { name: /Same order/ }).check();
  await page.getByTestId('hint-more').click();
  await page.getByTestId('hint-more').click();
  await page.getByTestId('show-me').click();
  await page.getByTestId('goal-met').waitFor({ timeout: 60_000 });
  assert.equal(await page.getByTestId('lesson-progress').getAttribute('data-progress'), '2/2');
  assert.match(await page.getByTestId('lesson-progress').textContent(), /All 2 goals/);
  assertClean(problems);
  await context.close();
});

test('predict, then explore: the prediction is compared with the explorer and remembered', async () => {
  const { page, context, problems, lesson } = await openLesson(browser, server.origin, 'race-condition', '?v=no-lock');
  const predict = page.locator('[data-testid=predict][data-ask=explore]');
  assert.equal(await predict.getAttribute('data-chosen'), null);
  await predict.getByRole('radio', { name: 'No order of steps goes wrong' }).check();
  await page.waitForFunction(() => document.querySelector('[data-testid=predict][data-ask=explore]').dataset.chosen === '0');
  await lesson.explore();
  const result = page.locator('[data-testid=predict][data-ask=explore] [data-testid=predict-result]');
  assert.equal(await result.getAttribute('data-correct'), 'false');
  assert.match(await result.textContent(), /Not what you predicted/);
  await page.reload();
  await page.getByTestId('lesson').waitFor();
  assert.equal(await page.locator('[data-testid=predict][data-ask=explore]').getAttribute('data-chosen'), '0', 'remembered');
  assertClean(problems);
  await context.close();
});

test('predict, then run on real threads: the measurement picks an answer and the live region reads the result', async () => {
  const { page, context, problems, lesson } = await openLesson(browser, server.origin, 'race-condition', '?v=no-lock');
  const predict = page.locator('[data-testid=predict][data-ask=real]');
  await predict.waitFor();
  const choices = await predict.getByRole('radio').count();
  assert.ok(choices >= 2, `${choices} choices`);
  await predict.getByRole('radio').first().check();
  await lesson.waitForPool();
  await lesson.runReal();
  const result = predict.getByTestId('predict-result');
  await result.waitFor();
  assert.match(await result.getAttribute('data-correct'), /^(true|false)$/);
  const said = (await page.getByTestId('run-narration').textContent()).trim();
  assert.match(said, /^Run 1 finished\. .*Lost updates: /, said);
  await page.screenshot({ path: shot('journey-predict-real.png'), fullPage: true });
  assertClean(problems);
  await context.close();
});

test('keyboard: ? lists the keys, Escape closes it and gives focus back, keys do nothing while typing', async () => {
  const { page, context, problems } = await openLesson(browser, server.origin, 'race-condition');
  await page.getByRole('button', { name: 'Step T1', exact: true }).focus();
  await page.keyboard.press('?');
  const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /Step thread 1/);
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Close');
  await page.screenshot({ path: shot('journey-keys.png') });
  // Keys behind the overlay do nothing; Tab cannot leave it (the page behind is inert).
  await page.keyboard.press('1');
  assert.equal((await page.getByTestId('step-count').textContent()).trim(), '0');
  assert.equal(await page.locator('main[inert]').count(), 1);
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Step T1');
  // Typing in a field: neither `?` nor a digit acts.
  const field = page.locator('input[type=number]').first();
  assert.ok(await field.count() > 0, 'the lesson has a number field');
  await field.focus();
  await page.keyboard.press('?');
  await page.keyboard.press('1');
  assert.equal(await page.getByRole('dialog').count(), 0);
  assert.equal((await page.getByTestId('step-count').textContent()).trim(), '0');
  assertClean(problems);
  await context.close();
});

test('a screen reader hears each step, the end of the run, in words', async () => {
  const { page, context, problems } = await openLesson(browser, server.origin, 'race-condition', '?v=no-lock');
  // Record what the polite live regions announce, as assistive technology would.
  await page.evaluate(() => {
    window.__said = [];
    const seen = new WeakMap();
    const obs = new MutationObserver(() => {
      for (const el of document.querySelectorAll('[aria-live]:not([aria-live=off])')) {
        const t = el.textContent.trim();
        if (t && seen.get(el) !== t) { seen.set(el, t); window.__said.push(t); }
      }
    });
    obs.observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await keys(page, null, '1', '2', '2', '2', '2', '1', '1', '1');
  await page.waitForFunction(() => window.__said.some(t => /run is over/.test(t)));
  const said = await page.evaluate(() => window.__said);
  assert.ok(said.some(t => /^Step 1: thread 1 ran LOAD_GLOBAL .*counter/.test(t)), said.join('\n'));
  assert.ok(said.some(t => /^Step 5: thread 2 ran STORE_GLOBAL/.test(t)), said.join('\n'));
  assert.ok(said.some(t => /run is over: counter = 1, but the check wants counter == 2/.test(t)), said.join('\n'));
  assertClean(problems);
  await context.close();
});

test('reduced motion: no transitions or animations run', async () => {
  const { page, context, problems } = await openLesson(browser, server.origin, 'race-condition', '', { reducedMotion: 'reduce' });
  await page.keyboard.press('1');
  await page.waitForFunction(() => document.querySelector('[data-testid=step-count]').textContent.trim() === '1');
  const moving = await page.evaluate(() => ({
    animations: document.getAnimations().length,
    transitions: [...document.querySelectorAll('*')].filter(el => {
      const s = getComputedStyle(el);
      return s.transitionDuration.split(',').some(d => parseFloat(d) > 0) || s.animationName !== 'none';
    }).length,
  }));
  assert.deepEqual(moving, { animations: 0, transitions: 0 });
  assertClean(problems);
  await context.close();
});
