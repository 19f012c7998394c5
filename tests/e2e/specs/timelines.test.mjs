// Timelines measured on real threads: after a run, experiments with holders and waiters draw
// who held what and who waited, from spans recorded with performance.now() in each worker;
// the drawing agrees with the figures beside it, reads out as a table, and fits a phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, assertClean } from '../lib/harness.mjs';
import { openLesson } from '../lib/lesson-page.mjs';

let server, browser;
before(async () => { server = await serve(); browser = await launch(); });
after(async () => { await browser?.close(); server?.stop(); });

const timelines = page => page.locator('[data-testid=lesson] [data-testid=real-timeline]');

test('semaphore: the timeline has a row per user and never more holders than permits', async () => {
  const { page, context, problems, lesson } = await openLesson(browser, server.origin, 'semaphore', '?v=pool');
  await lesson.waitForPool();
  assert.equal(await timelines(page).count(), 0, 'nothing drawn before a run');
  const r = await lesson.runReal();
  const tl = timelines(page);
  assert.equal(await tl.count(), 1);
  const d = await tl.evaluate(el => ({ ...el.dataset }));
  assert.equal(d.threads, r.tasks, 'a row per task');
  assert.equal(Number(d.holds), Number(r.acquisitions), 'a hold per acquisition');
  assert.ok(Number(d.maxHolds) <= Number(r.permits), `holds overlap ${d.maxHolds} > ${r.permits} permits`);
  assert.equal(d.maxHolds, r.maxHolders, 'the drawing agrees with the measured figure');
  assert.ok(Number(d.waits) > 0, 'more users than permits: someone waited');
  assert.equal(await tl.locator('g.tl-row').count(), Number(r.tasks));
  assert.match(await tl.locator('svg[role=img]').getAttribute('aria-label'), /^Measured timeline\. \d+ threads over [\d.]+ ms/);
  // The spans as a table, by keyboard.
  const toggle = tl.getByRole('button', { name: 'Show the spans as a table' });
  await toggle.focus();
  await page.keyboard.press('Enter');
  assert.equal(await tl.getByRole('button', { name: 'Hide the spans' }).getAttribute('aria-expanded'), 'true');
  assert.equal(await tl.locator('[data-testid=real-timeline-table] tbody tr').count(), Number(d.spans));
  assert.match(await tl.locator('tbody tr').first().textContent(), /user \d+(held|waited for) a permit/);
  assertClean(problems);
  await context.close();
});

test('deadlock: each thread holds its first lock while it waits for the other', async () => {
  const { page, context, problems, lesson } = await openLesson(browser, server.origin, 'deadlock', '?v=opposite-order');
  await lesson.waitForPool();
  const r = await lesson.runReal();
  assert.equal(r.deadlocked, 'yes');
  const tl = timelines(page);
  const d = await tl.evaluate(el => ({ ...el.dataset }));
  assert.equal(d.threads, '2');
  assert.ok(Number(d.waits) >= 2, 'both wait (a first acquire may wait a little too)');
  const titles = await tl.locator('svg title').allTextContents();
  assert.ok(titles.some(t => /^T1 held lock_a/.test(t)), titles.join(' | '));
  assert.ok(titles.some(t => /^T1 waited for lock_b/.test(t)), titles.join(' | '));
  assert.ok(titles.some(t => /^T2 waited for lock_a/.test(t)), titles.join(' | '));
  assertClean(problems);
  await context.close();
});

test('reader-writer lock: one timeline per design, and it fits a phone without widening the page', async () => {
  const { page, context, problems, lesson } = await openLesson(browser, server.origin, 'reader-writer-lock', '?v=reader-preferring',
    { viewport: { width: 390, height: 844 } });
  await lesson.waitForPool();
  await lesson.runReal();
  const tl = timelines(page);
  assert.equal(await tl.count(), 2);
  const captions = await tl.locator('figcaption strong').allTextContents();
  assert.match(captions[0], /reader-preferring/);
  assert.match(captions[1], /writer-preferring/);
  for (const d of await tl.evaluateAll(els => els.map(el => ({ ...el.dataset })))) {
    assert.ok(Number(d.holds) > 0);
  }
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'the page does not scroll sideways');
  assertClean(problems);
  await context.close();
});

test('experiments without holders and waiters draw no timeline', async () => {
  const { page, context, problems, lesson } = await openLesson(browser, server.origin, 'race-condition', '?v=no-lock');
  await lesson.waitForPool();
  await lesson.runReal({ increments: 10000 });
  assert.equal(await timelines(page).count(), 0);
  assertClean(problems);
  await context.close();
});
