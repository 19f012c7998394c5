// Served without COOP/COEP there is no SharedArrayBuffer: the page says so and what to do,
// the stepped lesson still works, and the real-threads panel stays disabled. Lockstep's service
// worker would add the headers (specs/offline.test.mjs), so the first test blocks it, as a
// browser without service workers would; the second lets it in but says the one reload it may
// ask for already happened, and checks there is no other.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPage, shot, assertClean } from '../lib/harness.mjs';
import { LessonPage } from '../lib/lesson-page.mjs';

let server, browser;
before(async () => { server = await serve({ isolated: false }); browser = await launch(); });
after(async () => { await browser?.close(); server?.stop(); });

test('without isolation headers: explained, stepper works, real runs disabled', async () => {
  const { page, context, problems } = await openPage(browser, server.origin, { serviceWorkers: 'block' });
  const lesson = new LessonPage(page, server.origin);
  await lesson.open();
  assert.equal(await page.evaluate(() => crossOriginIsolated), false);
  await page.getByTestId('threads-unavailable').first().waitFor();
  const text = await page.getByTestId('threads-unavailable').first().textContent();
  assert.match(text, /Cross-Origin-Opener-Policy/);
  assert.equal(await page.getByTestId('pool-status').getAttribute('data-state'), 'unavailable');
  assert.equal(await page.locator('[data-testid=lesson] [data-testid=experiment]').getByRole('button', { name: 'Run', exact: true }).isDisabled(), true);
  await lesson.step(1, 2, 1, 1, 1, 2, 2, 2);
  await lesson.expectText('shared-counter', '1');
  await page.screenshot({ path: shot('lesson-no-isolation.png'), fullPage: true });
  assert.deepEqual(problems.consoleErrors, []);
  assert.deepEqual(problems.offOrigin, []);
  await context.close();
});

test('the service worker never reloads twice in a session: still not isolated, it explains', async () => {
  const { page, context, problems } = await openPage(browser, server.origin);
  // As if this tab had already reloaded once for the worker and came back without isolation.
  await context.addInitScript(() => sessionStorage.setItem('lockstep-isolation-reload', '1'));
  let loads = 0;
  page.on('domcontentloaded', () => { loads += 1; });
  const lesson = new LessonPage(page, server.origin);
  await lesson.open();
  // The worker installs and takes control of the page; a reload would start right then.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30_000 });
  await page.getByTestId('threads-unavailable').first().waitFor();
  await page.waitForTimeout(1000);
  assert.equal(loads, 1, 'no reload');
  assert.equal(await page.evaluate(() => crossOriginIsolated), false);
  assert.equal(await page.getByTestId('pool-status').getAttribute('data-state'), 'unavailable');
  await lesson.step(1, 2);
  await lesson.expectText('step-count', '2');
  assertClean(problems);
  await context.close();
});
