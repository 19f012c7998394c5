// Served without COOP/COEP there is no SharedArrayBuffer: the page says so and what to do,
// the stepped lesson still works, and the real-threads panel stays disabled.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPage, shot } from '../lib/harness.mjs';
import { LessonPage } from '../lib/lesson-page.mjs';

let server, browser;
before(async () => { server = await serve({ isolated: false }); browser = await launch(); });
after(async () => { await browser?.close(); server?.stop(); });

test('without isolation headers: explained, stepper works, real runs disabled', async () => {
  const { page, context, problems } = await openPage(browser, server.origin);
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
