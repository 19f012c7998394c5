// The race-condition lesson, as a learner uses it: step to a lost update with the lock off,
// fail to lose one with it on, explore every interleaving, share the schedule by URL, and run
// the real counter on the worker pool.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPage, shot, assertClean } from '../lib/harness.mjs';
import { LessonPage, openLesson } from '../lib/lesson-page.mjs';

let server, browser;
before(async () => { server = await serve(); browser = await launch(); });
after(async () => { await browser?.close(); server?.stop(); });

async function lessonPage(opts) {
  const { page, context, problems } = await openPage(browser, server.origin, opts);
  const lesson = new LessonPage(page, server.origin);
  await lesson.open();
  return { page, context, problems, lesson };
}


test('the page is cross-origin isolated and the pool starts', async () => {
  const { page, context, problems, lesson } = await lessonPage();
  assert.equal(await page.evaluate(() => crossOriginIsolated), true);
  await lesson.waitForPool();
  const ms = Number(await page.getByTestId('pool-status').getAttribute('data-ready-ms'));
  assert.ok(ms > 0, 'pool-ready time is recorded');
  console.log(`# pool ready ${ms.toFixed(0)} ms after navigation start`);
  assertClean(problems);
  await context.close();
});

test('lock off: interleaving the loads loses an update', async () => {
  const { page, context, problems, lesson } = await lessonPage();
  await lesson.setLock(false);
  await lesson.expectText('shared-counter', '0');
  // T1 and T2 both LOAD_GLOBAL counter (0) before either stores.
  await lesson.step(1, 2, 1, 1, 1);
  await lesson.expectText('shared-counter', '1');
  await lesson.step(2, 2, 2);
  await lesson.expectText('shared-counter', '1');
  const o = await lesson.explained();
  assert.equal(o.kind, 'lost-update');
  assert.equal(o.bad, true);
  // Explained from this run's own events: T2 read 0 at step 2 before T1 wrote 1 at step 5,
  // and T2's write at step 8 overwrote it.
  assert.match(o.text, /T2 read counter = 0 at step 2, before T1 wrote counter = 1 at step 5/);
  assert.deepEqual(o.steps.slice(0, 3), [2, 5, 8]);
  await page.screenshot({ path: shot('lesson-lost-update-desktop.png'), fullPage: true });
  // Undo takes back the last step: the run is no longer over.
  await page.getByRole('button', { name: /Undo/ }).click();
  await page.getByTestId('outcome').waitFor({ state: 'detached' });
  // Rewind to any earlier step from the event log.
  await page.getByRole('button', { name: 'Rewind to before step 2' }).click();
  await lesson.expectText('step-count', '1');
  await lesson.expectText('shared-counter', '0');
  assertClean(problems);
  await context.close();
});

test('lock on: the second thread waits and no update is lost', async () => {
  const { page, context, problems, lesson } = await lessonPage();
  await lesson.setLock(true);
  await lesson.step(1); // T1 acquires the lock
  await lesson.expectAttr('[data-testid=lock-badge]', 'data-owner', 'T1');
  // T2's next instruction wants the lock T1 holds: it is shown waiting and cannot step.
  await page.waitForFunction(() => document.querySelector('[data-testid=lane-2] .step-btn').disabled);
  assert.match(await lesson.laneStatus(2), /waiting for lock .*held by T1/);
  await lesson.step(1, 1, 1, 1, 1); // T1 increments and releases
  await lesson.step(2, 2, 2, 2, 2, 2); // click() waits until T2's button is enabled
  await lesson.expectText('shared-counter', '2');
  assert.equal((await lesson.waitOutcome()).kind, 'ok');
  assertClean(problems);
  await context.close();
});

test('keyboard: digits step threads, U undoes, L toggles the lock', async () => {
  const { page, context, problems, lesson } = await lessonPage();
  await page.keyboard.press('1');
  await page.keyboard.press('2');
  await lesson.expectText('step-count', '2');
  await page.keyboard.press('u');
  await lesson.expectText('step-count', '1');
  await page.keyboard.press('l');
  await lesson.expectAttr('[role=switch]', 'aria-checked', 'true');
  assertClean(problems);
  await context.close();
});

test('schedulers: round-robin loses the update, a switch interval of 4 does not, seeded random is repeatable', async () => {
  const { page, context, problems, lesson } = await lessonPage();
  const play = async () => {
    await page.getByRole('button', { name: /Play/ }).click();
    await page.getByTestId('outcome').waitFor({ timeout: 20_000 });
    return (await lesson.outcome()).kind;
  };
  await page.getByLabel('Play speed').selectOption({ label: 'Very fast' });
  await page.getByLabel('Scheduler').selectOption('round-robin');
  assert.equal(await play(), 'lost-update');
  await page.getByRole('button', { name: /Reset/ }).click();
  await page.getByLabel('Scheduler').selectOption('switch');
  await page.locator('#sched-k').fill('4');
  assert.equal(await play(), 'ok');
  await lesson.expectText('shared-counter', '2');
  await page.getByRole('button', { name: /Reset/ }).click();
  await page.getByLabel('Scheduler').selectOption('random');
  await page.locator('#sched-seed').fill('7');
  await play();
  const first = page.url();
  await page.getByRole('button', { name: /Reset/ }).click();
  await play();
  assert.equal(page.url(), first, 'the same seed gives the same schedule');
  await page.locator('#sched-seed').fill('-3');
  assert.match(await page.locator('.toolbar').textContent(), /Between 0 and 999,999/);
  assertClean(problems);
  await context.close();
});

test('explorer: lock off some interleavings lose an update, lock on none do', async () => {
  const { page, context, problems, lesson } = await lessonPage();
  await lesson.setLock(false);
  const off = await lesson.explore();
  assert.equal(off.total, 70n, 'C(8,4) interleavings of two 4-instruction threads');
  assert.equal(off.bad, 68n);
  // "Show me the shortest" replays a losing schedule in the lanes.
  await page.getByRole('button', { name: /Show me the shortest/ }).click();
  assert.equal((await lesson.waitOutcome()).kind, 'lost-update');
  await lesson.setLock(true);
  const on = await lesson.explore();
  assert.equal(on.bad, 0n);
  assert.ok(on.total > 0n);
  assertClean(problems);
  await context.close();
});

test('the schedule lives in the URL: reload restores it, junk gets a clear message', async () => {
  const { page, context, problems, lesson } = await lessonPage();
  await lesson.setLock(false);
  await lesson.step(1, 2, 1);
  const url = page.url();
  assert.match(url, /#\/lesson\/race-condition\?v=no-lock&s=/);
  await page.reload();
  await lesson.expectText('step-count', '3');
  await lesson.expectText('reg-2-tmp', 'tmp = 0');
  await lesson.open('race-condition', '?lock=on&s=%%%garbage');
  await page.getByTestId('notice').waitFor();
  assert.match(await page.getByTestId('notice').textContent(), /not valid/);
  await lesson.expectText('step-count', '0');
  await lesson.expectAttr('[data-testid=lesson]', 'data-variant', 'lock'); // old links still work
  await lesson.open('race-condition', '?v=nonsense');
  await page.getByTestId('notice').waitFor();
  assert.match(await page.getByTestId('notice').textContent(), /no version “nonsense”/);
  await lesson.expectAttr('[data-testid=lesson]', 'data-variant', 'no-lock');
  await page.goto(`${server.origin}/#/lesson/no-such-lesson`);
  await page.getByRole('heading', { name: 'Nothing here' }).waitFor();
  assertClean(problems);
  await context.close();
});

test('real threads: the variant picks the mode; mutex is exact, racy never exceeds expected', async () => {
  const { page, context, problems, lesson } = await lessonPage();
  await lesson.waitForPool();
  await lesson.setLock(true);
  await page.waitForFunction(() => document.querySelector('#counter-mode')?.value === 'mutex');
  const mutex = await lesson.runReal({ threads: 4, increments: 1000000 });
  assert.equal(mutex.mode, 'mutex');
  assert.equal(mutex.actual, mutex.expected);
  assert.equal(mutex.lost, '0');
  await lesson.setLock(false);
  await page.waitForFunction(() => document.querySelector('#counter-mode').value === 'racy');
  const racy = await lesson.runReal({ threads: 4, increments: 5000000 });
  assert.equal(racy.mode, 'racy');
  assert.ok(Number(racy.actual) <= Number(racy.expected));
  const atomic = await lesson.runReal({ mode: 'atomic', threads: 4, increments: 1000000 });
  assert.equal(atomic.actual, atomic.expected);
  console.log(`# real: mutex ${mutex.ms} ms, racy lost ${racy.lost}/${racy.expected} in ${racy.ms} ms, atomic ${atomic.ms} ms`);
  await page.screenshot({ path: shot('lesson-real-desktop.png'), fullPage: true });
  assertClean(problems);
  await context.close();
});

test('phone width: no horizontal scrolling, everything reachable', async () => {
  const { page, context, problems, lesson } = await lessonPage({ viewport: { width: 390, height: 844 } });
  await lesson.step(1, 2);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px`);
  await page.screenshot({ path: shot('lesson-phone.png'), fullPage: true });
  assertClean(problems);
  await context.close();
});
