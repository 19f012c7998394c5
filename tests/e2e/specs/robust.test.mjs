// Nothing hangs: a worker that panics mid-run (a test-only switch) is caught by the run's
// deadline and the page offers a reload while the stepper keeps working; a double click starts
// one run; the explorer runs on the worker pool; a lesson whose prose file cannot be had says
// so, keeps working and loads it on "Try again".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, assertClean, openPage } from '../lib/harness.mjs';
import { openLesson, LessonPage } from '../lib/lesson-page.mjs';

let server, browser;
before(async () => { server = await serve(); browser = await launch(); });
after(async () => { await browser?.close(); server?.stop(); });

test('a worker that panics: the run misses its deadline, the page says so, offers a reload and stays usable', async () => {
  const { page, context, problems, lesson } = await openLesson(browser, server.origin, 'race-condition', '?v=no-lock');
  await lesson.waitForPool();
  // Small, so the deadline (3 × budget + 10 s) is about ten seconds.
  const card = page.locator('[data-testid=lesson] [data-testid=experiment]');
  await card.locator('#counter-increments').fill('1000');
  await page.evaluate(() => { window.__lockstepTestPanic = true; });
  await card.getByRole('button', { name: 'Run', exact: true }).click();
  await page.getByTestId('pool-lost').waitFor({ timeout: 60_000 });
  assert.match(await card.locator('.error-text').textContent(), /did not finish within its deadline/);
  assert.equal(await page.getByTestId('pool-status').getAttribute('data-state'), 'lost');
  assert.equal(await card.getByRole('button', { name: 'Run', exact: true }).isDisabled(), true);
  await page.getByTestId('pool-lost').getByRole('button', { name: 'Reload the page' }).waitFor();
  // The stepper does not need the pool.
  await page.keyboard.press('1');
  await lesson.expectText('step-count', '1');
  // The only console errors are the deliberate panic and the worker's abort.
  problems.consoleErrors = problems.consoleErrors.filter(e => !/test-only panic|unreachable|RuntimeError/.test(e));
  assertClean(problems);
  // A reload brings fresh workers.
  await page.evaluate(() => { window.__lockstepTestPanic = false; });
  await page.reload();
  await lesson.waitForPool();
  await context.close();
});

test('a double click on Run starts one run', async () => {
  const { page, context, problems, lesson } = await openLesson(browser, server.origin, 'race-condition', '?v=no-lock');
  await lesson.waitForPool();
  const card = page.locator('[data-testid=lesson] [data-testid=experiment]');
  await card.locator('#counter-increments').fill('100000');
  // Two clicks in one task, before Yew can re-render and disable the button.
  await card.getByRole('button', { name: 'Run', exact: true }).evaluate(b => { b.click(); b.click(); });
  await card.locator('[data-testid=lab-result]').waitFor({ timeout: 60_000 });
  await card.getByRole('button', { name: 'Run', exact: true }).waitFor();
  await page.waitForTimeout(500);
  assert.equal(await card.locator('[data-testid=lab-result]').getAttribute('data-run'), '1');
  assertClean(problems);
  await context.close();
});

test('the explorer runs on a worker thread when the pool is ready', async () => {
  const { page, context, problems, lesson } = await openLesson(browser, server.origin, 'race-condition', '?v=no-lock');
  await lesson.waitForPool();
  const r = await lesson.explore();
  assert.equal(r.total, 70n);
  assert.equal(await page.getByTestId('explore-result').getAttribute('data-on-pool'), 'true');
  // The largest exploration in the course, twice: the pool's explorer thread is free again.
  await lesson.open('producer-consumer');
  for (let i = 0; i < 2; i++) {
    await lesson.explore();
    assert.equal(await page.getByTestId('explore-result').getAttribute('data-on-pool'), 'true');
  }
  assertClean(problems);
  await context.close();
});

test("a lesson's prose that cannot be fetched: the page says why, the stepper works, Try again loads it", async () => {
  const { page, context, problems } = await openPage(browser, server.origin, { serviceWorkers: 'block' });
  // A host that answers with its own error page, then one whose network fails.
  let fail = 'page';
  await context.route('**/lessons/*.html', route => fail === 'page'
    ? route.fulfill({ status: 404, contentType: 'text/html', body: '<!DOCTYPE html><p>Not here</p>' })
    : fail === 'network' ? route.abort('failed') : route.continue());
  await page.goto(`${server.origin}/#/lesson/deadlock`);
  const lessonEl = page.locator('[data-testid=lesson][data-lesson=deadlock]');
  await lessonEl.and(page.locator('[data-prose=failed]')).waitFor({ timeout: 15_000 });
  const status = page.getByTestId('prose-status');
  assert.equal(await status.getAttribute('role'), 'alert');
  assert.match(await status.innerText(), /could not be loaded: the server answered 404/);
  assert.equal(await page.getByTestId('hint-more').isDisabled(), true, 'no hint to show yet');
  // The stepper does not need the prose.
  const lesson = new LessonPage(page, server.origin);
  await page.keyboard.press('1');
  await lesson.expectText('step-count', '1');
  // A failed network says so too; then the file comes and the text appears.
  fail = 'network';
  await page.getByTestId('prose-retry').click();
  await page.waitForFunction(() => /the network failed/.test(document.querySelector('[data-testid=prose-status]')?.innerText || ''));
  fail = 'none';
  await page.getByTestId('prose-retry').click();
  await lessonEl.and(page.locator('[data-prose=ready]')).waitFor({ timeout: 15_000 });
  assert.equal(await status.count(), 0);
  assert.ok((await page.locator('[data-testid=goal]').innerText()).length > 40, 'the goal is there');
  await page.getByTestId('hint-more').click();
  await page.getByTestId('hint').first().waitFor();
  // The only console errors are the browser's own reports of the two failed fetches.
  problems.consoleErrors = problems.consoleErrors.filter(e => !/Failed to load resource|net::ERR_FAILED/.test(e));
  assertClean(problems);
  await context.close();
});
