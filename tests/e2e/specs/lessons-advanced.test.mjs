// The advanced lessons as a learner meets them: for each, the explorer finds bad schedules in
// the tutorial's version and "Show me the shortest" replays one ending in the lesson's bug; the
// fixed version has none; one run on real threads reports through the lab's result hooks. Then
// "Spot the bug": every snippet judged, checked by the explorer, and a bad one replayed.
// (A result's data-* arrive camelCased: `data-lost-tasks` is `lostTasks`.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPage, shot, assertClean } from '../lib/harness.mjs';
import { LessonPage, openLesson } from '../lib/lesson-page.mjs';

let server, browser;
before(async () => { server = await serve(); browser = await launch(); });
after(async () => { await browser?.close(); server?.stop(); });

const open = (slug, query = '', opts) => openLesson(browser, server.origin, slug, query, opts);


/**
 * Clicks "Show me the shortest (n steps)" and returns n once the stepper has replayed it (at
 * the fastest play speed: these schedules run to 30–50 steps).
 */
async function showShortest(page, lesson, scope = page) {
  await page.getByRole('combobox', { name: 'Play speed' }).selectOption('80');
  const button = scope.getByRole('button', { name: /Show me the shortest/ }).first();
  const n = Number((await button.textContent()).replace(/\D+/g, ''));
  await button.click();
  // Up to 50 steps at 80 ms each, on a machine that may be busy: more than expectText's 10 s.
  await page.waitForFunction(want => document.querySelector('[data-testid=step-count]')?.textContent.trim() === want,
    String(n), { timeout: 30_000 });
  await lesson.expectText('step-count', String(n));
  return n;
}

/** Explores the current variant and checks its verdict; for a bad one, replays the shortest. */
async function exploreVariant(page, lesson, { bad, kind }) {
  const r = await lesson.explore();
  assert.equal(r.truncated, false, 'explored completely');
  if (!bad) {
    assert.equal(r.bad, 0n, `${(await lesson.info()).variant}: no bad schedule`);
    return r;
  }
  assert.ok(r.bad > 0n, `${(await lesson.info()).variant}: bad schedules found`);
  await showShortest(page, lesson);
  const o = await lesson.explained();
  assert.equal(o.kind, kind);
  assert.equal(o.bad, true);
  return r;
}

test('reader-writer lock: readers starve the tutorial\'s writer; writer-preferring does not; upgrading deadlocks', async () => {
  const { page, context, problems, lesson } = await open('reader-writer-lock');
  const info = await lesson.info();
  assert.equal(info.variants, 'reader-preferring,writer-preferring,upgrade');
  assert.equal(info.expect, 'bad');
  const r = await lesson.explore();
  assert.equal(r.truncated, false);
  assert.ok(r.bad > 0n, 'the writer can starve');
  const result = page.locator('[data-testid=explore-result][data-variant="reader-preferring"]');
  await result.locator('.tag', { hasText: 'starvation' }).first().waitFor();
  // A starving schedule does not end: it comes back round. Replayed, the writer is still
  // waiting for a notify at its last step.
  const n = await showShortest(page, lesson);
  assert.ok(n > 10, `shortest starving schedule: ${n} steps`);
  assert.match(await lesson.laneStatus(3), /waiting for a notify/);
  assert.equal(await page.getByTestId('outcome').count(), 0, 'no outcome: the run goes on');
  await page.screenshot({ path: shot('reader-writer-lock-starved.png'), fullPage: true });
  await lesson.pickVariant('Writer-preferring', 'writer-preferring');
  await exploreVariant(page, lesson, { bad: false });
  await lesson.pickVariant('Read, then write', 'upgrade');
  await exploreVariant(page, lesson, { bad: true, kind: 'deadlock' });
  await lesson.pickVariant('The tutorial\'s (readers first)', 'reader-preferring');
  await lesson.waitForPool();
  const real = await lesson.runReal({ readers: 3 });
  assert.equal(real.rpOverlaps, '0');
  assert.equal(real.wpOverlaps, '0');
  assert.equal(real.rpWriterStarved, 'yes', 'forced hand-over starves the reader-preferring writer');
  assert.equal(real.wpWriterStarved, 'no');
  assertClean(problems);
  await context.close();
});

test('lock granularity: BadBankAccount deadlocks, id order and one lock do not, the same account twice does', async () => {
  const { page, context, problems, lesson } = await open('lock-granularity');
  assert.equal((await lesson.info()).variants, 'bad,good,global-lock,same-account,guarded');
  await exploreVariant(page, lesson, { bad: true, kind: 'deadlock' });
  await page.waitForFunction(() => document.querySelector('[data-testid=wait-for-graph]').dataset.cycle !== '');
  await lesson.pickVariant('GoodBankAccount (id order)', 'good');
  await exploreVariant(page, lesson, { bad: false });
  await lesson.pickVariant('One global lock', 'global-lock');
  await exploreVariant(page, lesson, { bad: false });
  await lesson.pickVariant('GoodBankAccount, to itself', 'same-account');
  await exploreVariant(page, lesson, { bad: true, kind: 'deadlock' });
  await lesson.pickVariant('…with a guard', 'guarded');
  await exploreVariant(page, lesson, { bad: false });
  await lesson.pickVariant('BadBankAccount (the tutorial\'s)', 'bad');
  await lesson.waitForPool();
  const real = await lesson.runReal({});
  assert.ok(real.totalBefore, 'the result reports the money');
  assert.equal(real.deadlocked, 'yes');
  assert.equal(real.recovered, 'yes');
  assert.equal(real.totalMoney, real.totalBefore, 'money conserved');
  assertClean(problems);
  await context.close();
});

test('thread-safe cache: every thread that misses computes; a lock per key computes once', async () => {
  const { page, context, problems, lesson } = await open('thread-safe-cache');
  assert.equal((await lesson.info()).variants, 'seed,per-key-once,key-collision,none-result');
  await exploreVariant(page, lesson, { bad: true, kind: 'duplicate' });
  await lesson.pickVariant('One computation per key', 'per-key-once');
  await exploreVariant(page, lesson, { bad: false });
  await lesson.pickVariant('square(3) and negate(3)', 'key-collision');
  await exploreVariant(page, lesson, { bad: true, kind: 'wrong-result' });
  await lesson.pickVariant('A cached None', 'none-result');
  await exploreVariant(page, lesson, { bad: true, kind: 'duplicate' });
  await lesson.pickVariant('The tutorial\'s cached', 'seed');
  await lesson.waitForPool();
  const real = await lesson.runReal({ force: true });
  assert.ok(Number(real.computations) > 1, `forced herd: ${real.computations} computations`);
  assertClean(problems);
  await context.close();
});

test('producer-consumer: the tutorial\'s sentinels lose tasks, join() would hang, the fix delivers all', async () => {
  const { page, context, problems, lesson } = await open('producer-consumer');
  assert.equal((await lesson.info()).variants, 'seed-sentinel,seed-join,join-then-sentinels');
  await exploreVariant(page, lesson, { bad: true, kind: 'lost-task' });
  // The lost tasks are still in the queue when the run ends.
  const left = Number(await page.locator('[data-testid=queue][data-queue=task_queue]').getAttribute('data-items'));
  assert.ok(left > 0, `${left} items left in task_queue`);
  await lesson.pickVariant('…and task_queue.join()', 'seed-join');
  await exploreVariant(page, lesson, { bad: true, kind: 'deadlock' });
  await lesson.pickVariant('Join, then one None per consumer', 'join-then-sentinels');
  await exploreVariant(page, lesson, { bad: false });
  await lesson.pickVariant('The tutorial\'s sentinels', 'seed-sentinel');
  await lesson.waitForPool();
  const real = await lesson.runReal({ force: true });
  assert.ok(Number(real.lostTasks) > 0, `forced early exit: ${real.lostTasks} lost`);
  assertClean(problems);
  await context.close();
});

test('singleton: check-then-create makes two; double-checked and always-locked make one; __init__ runs twice', async () => {
  const { page, context, problems, lesson } = await open('singleton');
  assert.equal((await lesson.info()).variants, 'naive,double-checked,always-lock,init-guard');
  await exploreVariant(page, lesson, { bad: true, kind: 'duplicate' });
  await lesson.pickVariant('Double-checked (the tutorial\'s)', 'double-checked');
  await exploreVariant(page, lesson, { bad: false });
  await lesson.pickVariant('Always take the lock', 'always-lock');
  await exploreVariant(page, lesson, { bad: false });
  await lesson.pickVariant('…and its __init__', 'init-guard');
  await exploreVariant(page, lesson, { bad: true, kind: 'duplicate' });
  await lesson.pickVariant('Check, then create', 'naive');
  await lesson.waitForPool();
  const real = await lesson.runReal({ force: true });
  assert.ok(Number(real.instances) > 1, `forced naive: ${real.instances} instances`);
  assertClean(problems);
  await context.close();
});

test('best practices: spot the bug in every snippet, then replay a bad one', async () => {
  const { page, context, problems, lesson } = await open('best-practices');
  const items = page.getByTestId('quiz-item');
  const count = await items.count();
  assert.ok(count >= 6, `${count} snippets`);
  for (let i = 0; i < count; i++) {
    const item = items.nth(i);
    const expect = await item.getAttribute('data-expect');
    await item.getByRole('button', { name: expect === 'safe' ? '✓ Safe' : '✗ Has a bug' }).click();
    await page.waitForFunction(el => el.dataset.verdict, await item.elementHandle(), { timeout: 60_000 });
    assert.equal(await item.getAttribute('data-verdict'), expect, `snippet ${i + 1}`);
    assert.equal(await item.getAttribute('data-correct'), 'true', `snippet ${i + 1}`);
  }
  // A wrong answer is called wrong.
  const safe = page.locator('[data-testid=quiz-item][data-variant="check-inside"]');
  await safe.getByRole('button', { name: '✗ Has a bug' }).click();
  await page.waitForFunction(el => el.dataset.correct === 'false', await safe.elementHandle(), { timeout: 60_000 });
  // The lazy configuration's shortest bad schedule, in the stepper.
  const lazy = page.locator('[data-testid=quiz-item][data-variant="lazy"]');
  await showShortest(page, lesson, lazy);
  await lesson.expectAttr('[data-testid=lesson]', 'data-variant', 'lazy');
  const o = await lesson.explained();
  assert.equal(o.kind, 'duplicate');
  assert.equal(o.bad, true);
  await page.screenshot({ path: shot('best-practices-quiz.png'), fullPage: true });
  assertClean(problems);
  await context.close();
});

test('phone width: the advanced lessons stack, nothing scrolls sideways', async () => {
  for (const slug of ['reader-writer-lock', 'producer-consumer', 'best-practices']) {
    const { page, context, problems, lesson } = await open(slug, '', { viewport: { width: 390, height: 844 } });
    await lesson.step(1);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${slug}: page scrolls sideways by ${overflow}px`);
    await page.screenshot({ path: shot(`${slug}-phone.png`), fullPage: true });
    assertClean(problems);
    await context.close();
  }
});
