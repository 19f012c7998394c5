// Five lessons on the engine, as a learner meets them: threads-vs-sequential, gil (one version
// picker, five interpreters), lock-patterns, binary-semaphore and thread-local. For each: the
// bad version's explorer finds bad schedules and its shortest one ends in the lesson's kind, the
// safe version's finds none, and one run on real threads reports through the lab's hooks
// (read through `dataset`, so `data-shared-mismatches` is `sharedMismatches`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPage, shot, assertClean } from '../lib/harness.mjs';
import { LessonPage, openLesson } from '../lib/lesson-page.mjs';

let server, browser;
before(async () => { server = await serve(); browser = await launch(); });
after(async () => { await browser?.close(); server?.stop(); });

const open = (slug, query = '', opts) => openLesson(browser, server.origin, slug, query, opts);


/** Explores the current variant, expects bad schedules, replays the shortest: its kind. */
async function shortestBad(page, lesson) {
  const r = await lesson.explore();
  assert.equal(r.truncated, false);
  assert.ok(r.bad > 0n, `expected bad schedules, got ${r.bad} of ${r.total}`);
  await page.getByRole('button', { name: /Show me the shortest/ }).click();
  const o = await lesson.explained();
  assert.equal(o.bad, true);
  return { ...r, kind: o.kind, text: o.text };
}

async function exploresSafe(lesson) {
  const r = await lesson.explore();
  assert.equal(r.truncated, false);
  assert.equal(r.bad, 0n, `expected no bad schedule, got ${r.bad} of ${r.total}`);
  return r;
}

/** Picks a variant by its exact label (some labels start with another's: "3.14" and
 * "free-threaded (3.13t/3.14t)", "Two threads" and "Two threads computing"). */
async function pick(page, lesson, label, slug) {
  await page.getByRole('radiogroup').first().getByRole('radio', { name: label, exact: true }).check();
  await lesson.expectAttr('[data-testid=lesson]', 'data-variant', slug);
}

const laneBlocked = (page, n) =>
  page.waitForFunction(i => document.querySelector(`[data-testid=lane-${i}] .step-btn`)?.disabled, n);

test('threads-vs-sequential: 10 s one after another, 5 s on two threads, 10 s computing under the GIL', async () => {
  const { page, context, problems, lesson } = await open('threads-vs-sequential');
  const info = await lesson.info();
  assert.equal(info.variants, 'sequential,threads,threads-cpu');
  assert.equal(info.expect, 'none');
  await lesson.step(...Array(24).fill(1));
  await lesson.expectText('elapsed', '10.0 s');
  assert.equal((await lesson.explained()).kind, 'ok');
  await pick(page, lesson, 'Two threads', 'threads');
  // Thread-2 prints its first line, then Thread-1 (a call: the GIL may pass), then both run
  // to the end, taking turns, and main joins them.
  await lesson.step(2, 1, ...Array(9).fill([2, 1]).flat(), 3, 3, 3);
  await lesson.expectText('elapsed', '5.0 s');
  const out = await page.getByTestId('output').locator('li').allTextContents();
  assert.equal(out.length, 11);
  assert.match(out[0], /Thread-2 - Count: 1$/);
  assert.match(out[1], /Thread-1 - Count: 1$/);
  assert.match(out[10], /Total time: ~5 seconds$/);
  const r = await lesson.explore();
  assert.equal(r.bad, 0n);
  await pick(page, lesson, 'Two threads computing', 'threads-cpu');
  await lesson.step(1, 1); // T1 prints, then computes holding the GIL
  await page.waitForFunction(() => /held by/.test(document.querySelector('[data-testid=gil]')?.textContent ?? ''));
  await lesson.step(...Array(8).fill([2, 1]).flat(), 2, 2, 3, 3, 3);
  await lesson.expectText('elapsed', '10.0 s');
  await page.screenshot({ path: shot('threads-vs-sequential-desktop.png'), fullPage: true });
  await lesson.waitForPool();
  const real = await lesson.runReal({ tasks: 2, 'sleep-ms': 20, 'cpu-ms': 20 });
  assert.equal(real.experiment, 'sleep-vs-cpu');
  assert.equal(real.tasks, '2');
  console.log(`# sleep-vs-cpu: sleeping ×${real.sleepSpeedupThreads} on threads, computing ×${real.cpuSpeedupThreads ?? '?'} on threads`);
  assertClean(problems);
  await context.close();
});

test('gil: 3.11 hides the race, 3.9, a call and no GIL lose updates, 3.14 does not', async () => {
  const { page, context, problems, lesson } = await open('gil');
  const info = await lesson.info();
  assert.equal(info.variants, 'py311,py39,py311-call,py314,free-threaded');
  assert.equal(info.variant, 'py311');
  assert.equal(info.expect, 'safe');
  await lesson.step(1, 1); // RESUME, LOAD_GLOBAL: thread 1 holds the GIL up to its store
  await page.waitForFunction(() => /held by/.test(document.querySelector('[data-testid=gil]')?.textContent ?? ''));
  await laneBlocked(page, 2);
  await exploresSafe(lesson);
  await pick(page, lesson, '3.9', 'py39');
  const v39 = await shortestBad(page, lesson);
  assert.equal(v39.kind, 'lost-update');
  await pick(page, lesson, '3.11 + a call', 'py311-call');
  const call = await shortestBad(page, lesson);
  assert.equal(call.kind, 'lost-update');
  await pick(page, lesson, '3.14', 'py314');
  await exploresSafe(lesson);
  await pick(page, lesson, 'free-threaded (3.13t/3.14t)', 'free-threaded');
  const ft = await shortestBad(page, lesson);
  assert.equal(ft.kind, 'lost-update');
  console.log(`# gil explorer: 3.9 ${v39.bad}/${v39.total}, 3.11+call ${call.bad}/${call.total}, free-threaded ${ft.bad}/${ft.total}`);
  // Real threads under the emulated GIL: an odd switch interval (3.9) lands between a load
  // and its store; the even one (3.10+) never does.
  await pick(page, lesson, '3.9', 'py39');
  await lesson.waitForPool();
  const odd = await lesson.runReal({ threads: 2, increments: 100000 });
  assert.equal(odd.mode, 'gil (switch every 1001)');
  assert.ok(Number(odd.lost) > 0, `3.9-like GIL lost ${odd.lost}`);
  await pick(page, lesson, '3.11', 'py311');
  await page.waitForFunction(() => document.querySelector('#counter-switch-every')?.value === '1000');
  const even = await lesson.runReal({ threads: 2, increments: 100000 });
  assert.equal(even.mode, 'gil (switch every 1000)');
  assert.equal(even.lost, '0');
  assertClean(problems);
  await context.close();
});

test('lock-patterns: the patterns never strand a thread; without try/finally the next one waits forever', async () => {
  const { page, context, problems, lesson } = await open('lock-patterns');
  const info = await lesson.info();
  assert.equal(info.variants, 'method-1,method-2,method-3,no-finally,with-raise');
  await exploresSafe(lesson);
  await pick(page, lesson, '3: acquire(blocking=False)', 'method-3');
  await exploresSafe(lesson);
  await pick(page, lesson, 'acquire() without try/finally', 'no-finally');
  await lesson.step(1, 1, 1); // acquire, print, raise
  const o = await lesson.explained();
  assert.equal(o.kind, 'deadlock');
  assert.equal(o.bad, true);
  assert.match(o.text, /ValueError: negative item/);
  const leak = await shortestBad(page, lesson);
  assert.equal(leak.kind, 'deadlock');
  await pick(page, lesson, 'with lock: and the same raise', 'with-raise');
  await exploresSafe(lesson);
  await lesson.waitForPool();
  const real = await lesson.runReal({ threads: 2, attempts: 500, work: 20 });
  assert.equal(real.experiment, 'try-lock');
  assert.equal(Number(real.successes) + Number(real.failures), 2 * 500);
  assertClean(problems);
  await context.close();
});

test('binary-semaphore: a stray release lets two in; Semaphore(0) makes the consumer wait', async () => {
  const { page, context, problems, lesson } = await open('binary-semaphore');
  const info = await lesson.info();
  assert.equal(info.variants, 'semaphore,lock,bounded,signal');
  await lesson.step(3, 1, 1, 2, 2); // helper releases first: two permits, both workers inside
  const o = await lesson.explained();
  assert.equal(o.kind, 'two-holders');
  const sem = await shortestBad(page, lesson);
  assert.equal(sem.kind, 'two-holders');
  await pick(page, lesson, 'Lock', 'lock');
  assert.equal((await shortestBad(page, lesson)).kind, 'two-holders');
  await pick(page, lesson, 'BoundedSemaphore(1)', 'bounded');
  assert.equal((await shortestBad(page, lesson)).kind, 'two-holders');
  await pick(page, lesson, 'Semaphore(0) as a signal', 'signal');
  await lesson.step(1); // the consumer prints, then waits in acquire()
  await laneBlocked(page, 1);
  await lesson.waitForPool();
  const real = await lesson.runReal({ tasks: 2 });
  assert.equal(real.experiment, 'semaphore');
  assert.equal(real.extraReleaseHolders, '2');
  assert.equal(real.boundedMaxHolders, '1');
  assertClean(problems);
  await context.close();
});

test('thread-local: each thread prints its own name; with a global, another user\'s', async () => {
  const { page, context, problems, lesson } = await open('thread-local');
  const info = await lesson.info();
  assert.equal(info.variants, 'thread-local,global');
  assert.equal(await page.locator('[data-testid=local]').count(), 1);
  await exploresSafe(lesson);
  await pick(page, lesson, 'One global user_id', 'global');
  const g = await shortestBad(page, lesson);
  assert.equal(g.kind, 'wrong-user');
  await lesson.waitForPool();
  const real = await lesson.runReal({ threads: 2, iterations: 2000, window: 10, force: true });
  assert.equal(real.experiment, 'thread-local');
  assert.equal(real.threadLocalMismatches, '0');
  assert.ok(Number(real.sharedMismatches) >= 1, `forced: ${real.sharedMismatches}`);
  assertClean(problems);
  await context.close();
});

test('phone width: the five lessons stack, nothing scrolls sideways', async () => {
  for (const slug of ['threads-vs-sequential', 'gil', 'lock-patterns', 'binary-semaphore', 'thread-local']) {
    const { page, context, problems, lesson } = await open(slug, '', { viewport: { width: 390, height: 844 } });
    await lesson.step(1);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${slug}: page scrolls sideways by ${overflow}px`);
    await page.screenshot({ path: shot(`${slug}-phone.png`), fullPage: true });
    assertClean(problems);
    await context.close();
  }
});
