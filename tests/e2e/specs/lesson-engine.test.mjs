// The lesson engine, as a learner meets it in the rlock, semaphore and deadlock lessons: the
// variant picker, the explained outcome (with step links that rewind), the live timeline, the
// wait-for graph closing a cycle, the explorer per variant, and "show an interleaving that does
// this" after a real run went wrong.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPage, shot, assertClean } from '../lib/harness.mjs';
import { LessonPage, openLesson } from '../lib/lesson-page.mjs';

let server, browser;
before(async () => { server = await serve(); browser = await launch(); });
after(async () => { await browser?.close(); server?.stop(); });

const open = (slug, query = '', opts) => openLesson(browser, server.origin, slug, query, opts);


const cycle = page => page.getByTestId('wait-for-graph').getAttribute('data-cycle');

test('deadlock: the wait-for graph closes the cycle, the outcome explains it, steps rewind', async () => {
  const { page, context, problems, lesson } = await open('deadlock');
  const info = await lesson.info();
  assert.equal(info.variants, 'opposite-order,same-order');
  assert.equal(info.variant, 'opposite-order');
  assert.equal(info.expect, 'bad');
  await lesson.step(1, 2);
  assert.equal(await cycle(page), '');
  await lesson.step(1, 1, 2, 2); // both reach their inner `with`
  await page.waitForFunction(() => document.querySelector('[data-testid=wait-for-graph]').dataset.cycle === 'T1,lock2,T2,lock1');
  const o = await lesson.explained();
  assert.equal(o.kind, 'deadlock');
  assert.equal(o.bad, true);
  assert.match(o.text, /T1 holds lock1/);
  assert.ok(o.steps.includes(1) && o.steps.includes(2), `step links ${o.steps}`);
  // The timeline has one cell per step and shows both threads waiting.
  const tl = page.getByTestId('timeline');
  assert.equal(await tl.getAttribute('data-steps'), '6');
  assert.equal(await tl.locator('rect.tl-ran').count(), 6);
  assert.ok(await tl.locator('rect.tl-wait').count() >= 2);
  await page.screenshot({ path: shot('deadlock-cycle-desktop.png'), fullPage: true });
  // A step link rewinds to the state after that step: the cycle opens again.
  await page.getByTestId('outcome').getByRole('button', { name: 'Rewind to step 2' }).click();
  await lesson.expectText('step-count', '2');
  assert.equal(await cycle(page), '');
  // Clicking a timeline cell rewinds too.
  await tl.locator('rect.tl-ran').first().click();
  await lesson.expectText('step-count', '1');
  const bad = await lesson.explore();
  assert.ok(bad.bad > 0n && bad.bad < bad.total, `opposite order: ${bad.bad} of ${bad.total}`);
  await lesson.pickVariant('Same order (the fix)', 'same-order');
  await lesson.expectText('step-count', '0');
  const safe = await lesson.explore();
  assert.equal(safe.bad, 0n);
  assertClean(problems);
  await context.close();
});

test('deadlock on real threads: detected and recovered, then replayed as an interleaving', async () => {
  const { page, context, problems, lesson } = await open('deadlock');
  await lesson.waitForPool();
  const r = await lesson.runReal({ force: true, threads: 2 });
  assert.equal(r.deadlocked, 'yes');
  assert.equal(r.recovered, 'yes');
  assert.equal(r.wentWrong, 'true');
  await page.getByRole('button', { name: 'Show an interleaving that does this' }).click();
  const o = await lesson.explained();
  assert.equal(o.kind, 'deadlock');
  await page.waitForFunction(() => document.querySelector('[data-testid=wait-for-graph]').dataset.cycle !== '');
  assertClean(problems);
  await context.close();
});

test('rlock: a Lock re-acquired by its holder is a self-loop; an RLock counts up and down', async () => {
  const { page, context, problems, lesson } = await open('rlock');
  assert.equal((await lesson.info()).variants, 'lock,rlock,counter,ownership');
  await lesson.step(1, 1, 1);
  await page.waitForFunction(() => document.querySelector('[data-testid=wait-for-graph]').dataset.cycle === 'T1,regular_lock');
  const o = await lesson.explained();
  assert.equal(o.kind, 'deadlock');
  assert.match(o.text, /not reentrant/);
  await lesson.pickVariant('RLock', 'rlock');
  await lesson.step(1, 1, 1, 1);
  await lesson.expectAttr('[data-testid=lock-badge]', 'data-count', '2');
  await lesson.step(1, 1);
  await lesson.expectAttr('[data-testid=lock-badge]', 'data-count', '1');
  const safe = await lesson.explore();
  assert.equal(safe.bad, 0n);
  await lesson.pickVariant('Released by another thread', 'ownership');
  await lesson.step(2);
  await page.waitForFunction(() => /RuntimeError/.test(document.querySelector('[data-testid=status-2]').textContent));
  await lesson.step(1, 1, 1); // the worker goes on and finishes: the run ends
  const e = await lesson.explained();
  assert.equal(e.kind, 'exception');
  assert.match(e.text, /RuntimeError: cannot release un-acquired lock/);
  assertClean(problems);
  await context.close();
});

test('semaphore: ten users fit, the pool is safe, an extra release lets a fourth in', async () => {
  const { page, context, problems, lesson } = await open('semaphore');
  const info = await lesson.info();
  assert.equal(info.variants, 'pool,extra-release,bounded');
  assert.equal(await page.locator('[data-testid^=lane-]').count(), 10);
  // Ten lanes fit on a laptop screen without sideways scrolling.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px`);
  for (const n of [1, 2, 3]) await lesson.step(n);
  await lesson.expectAttr('[data-testid=sem-slots]', 'data-permits', '0');
  await page.waitForFunction(() => document.querySelector('[data-testid=lane-4] .step-btn').disabled);
  await page.screenshot({ path: shot('semaphore-desktop.png'), fullPage: true });
  const pool = await lesson.explore();
  assert.equal(pool.truncated, false);
  assert.equal(pool.bad, 0n);
  await lesson.pickVariant('An extra release()', 'extra-release');
  const extra = await lesson.explore();
  assert.equal(extra.truncated, false);
  assert.ok(extra.bad > 0n);
  await page.getByRole('button', { name: /Show me the shortest/ }).click();
  const o = await lesson.explained();
  assert.equal(o.kind, 'over-capacity');
  assert.equal(o.bad, true);
  await lesson.pickVariant('BoundedSemaphore(3)', 'bounded');
  // User 0 visits alone and over-releases while all is free: BoundedSemaphore refuses, which
  // in this version is the code doing its job, not the bug.
  await lesson.step(1, 1, 1, 1, 1, 1);
  // The exception ends only user 0's thread (as in CPython); the others go on.
  await page.waitForFunction(() => /ValueError: Semaphore released too many times/.test(document.querySelector('[data-testid=status-1]').textContent));
  assert.equal(await page.getByTestId('outcome').count(), 0);
  await page.getByLabel('Play speed').selectOption({ label: 'Very fast' });
  await page.getByLabel('Scheduler').selectOption('round-robin');
  await page.getByRole('button', { name: /Play/ }).click();
  const refused = await lesson.explained();
  assert.equal(refused.kind, 'exception');
  assert.equal(refused.bad, false);
  assert.match(refused.text, /ValueError: Semaphore released too many times/);
  const bounded = await lesson.explore();
  assert.ok(bounded.bad > 0n, 'an extra release while others hold permits still lets a fourth in');
  assertClean(problems);
  await context.close();
});

test('phone width: lessons stack, nothing scrolls sideways', async () => {
  for (const slug of ['semaphore', 'deadlock', 'rlock']) {
    const { page, context, problems, lesson } = await open(slug, '', { viewport: { width: 390, height: 844 } });
    await lesson.step(1, 1);
    await lesson.explore(); // the outcome table must wrap, not widen the page
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${slug}: page scrolls sideways by ${overflow}px`);
    await page.screenshot({ path: shot(`${slug}-phone.png`), fullPage: true });
    assertClean(problems);
    await context.close();
  }
});
