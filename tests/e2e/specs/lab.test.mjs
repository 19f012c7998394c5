// The lab: every experiment runs on the worker pool and reports measured figures whose
// invariants hold (exact where it must be, money conserved, at most K holders, exactly-once
// delivery, deadlocks detected and recovered, the pool usable afterwards).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPage, shot } from '../lib/harness.mjs';
import { LabPage } from '../lib/lab-page.mjs';

let server, browser, lab, page, problems, context;
before(async () => {
  server = await serve();
  browser = await launch();
  ({ page, problems, context } = await openPage(browser, server.origin));
  lab = new LabPage(page, server.origin);
  await lab.open();
});
after(async () => {
  await context?.close();
  await browser?.close();
  server?.stop();
});

const num = v => Number(v);

test('counter: mutex, atomic and spin lock are exact; racy never exceeds expected', async () => {
  for (const mode of ['mutex', 'atomic', 'spin-lock']) {
    const r = await lab.run('counter', { mode, threads: 3, increments: 300000 });
    assert.equal(r.mode, mode);
    assert.equal(r.actual, r.expected, mode);
    assert.equal(r.lost, '0');
  }
  const racy = await lab.run('counter', { mode: 'racy', threads: 4, increments: 2000000 });
  assert.ok(num(racy.actual) <= num(racy.expected));
  assert.equal(num(racy.lost), num(racy.expected) - num(racy.actual));
});

test('repeat: a histogram over every run', async () => {
  const h = await lab.repeat('counter', 10, { mode: 'racy', threads: 4, increments: 500000 });
  assert.equal(h.runs, 10);
  assert.equal(h.key, 'lost');
  assert.equal(h.bins.reduce((a, [, n]) => a + n, 0), 10);
  console.log(`# racy 4x500k lost-update histogram: ${JSON.stringify(h.bins)}`);
});

test('semaphore: never more holders than permits; an unmatched release lets two in, bounded refuses', async () => {
  const r = await lab.run('semaphore', { tasks: 4, permits: 2 });
  assert.ok(num(r['max-holders']) <= 2);
  assert.ok(num(r['max-holders']) >= 1);
  assert.equal(r['extra-release-holders'], '2');
  assert.equal(r['bounded-max-holders'], '1');
});

test('deadlock: opposite order is detected and recovered, the pool still works, global order finishes', async () => {
  const d = await lab.run('deadlock', { ordering: 'opposite', force: true });
  assert.equal(d.deadlocked, 'yes');
  assert.equal(d.recovered, 'yes');
  assert.match(d.cycle, /T1.*T2|T2.*T1/);
  const after = await lab.run('counter', { mode: 'atomic', threads: 4, increments: 100000 });
  assert.equal(after.actual, after.expected, 'the pool is usable after a recovered deadlock');
  const g = await lab.run('deadlock', { ordering: 'global' });
  assert.equal(g.deadlocked, 'no');
});

test('bank: money is conserved in every mode; the seed\'s BadBankAccount deadlocks and is recovered', async () => {
  for (const mode of ['global-lock', 'ordered-locks']) {
    const r = await lab.run('bank', { mode, threads: 4, transfers: 5000, 'force-deadlock': false });
    assert.equal(r['total-money'], r['total-before'], mode);
    assert.equal(r.deadlocked, 'no');
  }
  const bad = await lab.run('bank', { mode: 'self-then-other', 'force-deadlock': true, threads: 2 });
  assert.equal(bad.deadlocked, 'yes');
  assert.equal(bad.recovered, 'yes');
  assert.equal(bad['total-money'], bad['total-before']);
});

test('producer-consumer: join-then-sentinels delivers every task exactly once; forced seed sentinels lose some', async () => {
  const ok = await lab.run('producer-consumer', { shutdown: 'join-then-sentinels', force: false });
  assert.equal(ok['lost-tasks'], '0');
  assert.equal(ok.duplicates, '0');
  assert.equal(ok.processed, ok.tasks);
  const seed = await lab.run('producer-consumer', { shutdown: 'seed-sentinel', force: true });
  assert.ok(num(seed['lost-tasks']) > 0);
});

test('cache: forced herd computes more than once with the seed\'s cache, exactly once per key otherwise', async () => {
  const seed = await lab.run('cache', { design: 'seed', force: true, threads: 4 });
  assert.ok(num(seed.computations) > 1);
  const once = await lab.run('cache', { design: 'per-key-once', force: true, threads: 4 });
  assert.equal(once.computations, '1');
});

test('singleton: forced naive creates several; double-checked and once-cell create one', async () => {
  const naive = await lab.run('singleton', { design: 'naive', force: true, threads: 4 });
  assert.ok(num(naive.instances) > 1);
  for (const design of ['double-checked', 'once-cell']) {
    const r = await lab.run('singleton', { design, force: true, threads: 4 });
    assert.equal(r.instances, '1', design);
  }
});

test('reentry, rwlock and sleep-vs-cpu report their figures', async () => {
  const re = await lab.run('reentry', { depth: 5 });
  assert.equal(re['lock-detected'], 'yes');
  assert.equal(re['rlock-depth'], '5');
  const rw = await lab.run('rwlock', { readers: 3 });
  assert.ok(num(rw['rp-reads']) > 0 && num(rw['wp-reads']) > 0);
  assert.ok(num(rw['rp-max-readers']) >= 1);
  const sc = await lab.run('sleep-vs-cpu', { tasks: 2, 'sleep-ms': 50, 'cpu-ms': 50 });
  assert.ok(num(sc['sleep-threads-ms']) > 0 && num(sc['cpu-threads-ms']) > 0);
  console.log(`# sleep-vs-cpu: sleep speed-up ${sc['sleep-speedup-threads']}x, cpu ${sc['cpu-speedup-threads']}x on threads, ${sc['cpu-speedup-gil']}x under GIL`);
  await page.screenshot({ path: shot('lab-desktop.png'), fullPage: true });
});

test('bad parameters are refused with a message, nothing runs', async () => {
  await lab.open('counter');
  const input = page.locator('#counter-threads');
  await input.fill('99');
  await lab.card('counter').getByText(/Between 1 and 7/).first().waitFor();
  await input.fill('2');
  // A repeat that would run for minutes is refused with a message, and nothing runs.
  await lab.set('rwlock', { 'duration-ms': 2000 });
  await lab.card('rwlock').locator('#runs-rwlock').fill('200');
  await lab.card('rwlock').getByRole('button', { name: 'Repeat 200×' }).click();
  await lab.card('rwlock').locator('.error-text').waitFor();
  assert.match(await lab.card('rwlock').locator('.error-text').textContent(), /at most 120 s/);
  await lab.open('no-such-experiment');
  await page.getByText(/no experiment called/).waitFor();
});

test('leaving the lab mid-run: the lesson page can still use the pool', async () => {
  await lab.open();
  await lab.set('rwlock', { 'duration-ms': 2000 });
  await lab.card('rwlock').getByRole('button', { name: 'Run', exact: true }).click();
  await lab.card('rwlock').getByRole('button', { name: 'Cancel' }).waitFor();
  await page.goto(`${server.origin}/#/lesson/race-condition`);
  const { LessonPage } = await import('../lib/lesson-page.mjs');
  const lesson = new LessonPage(page, server.origin);
  await lesson.waitForPool();
  const t0 = Date.now();
  const r = await lesson.runReal({ mode: 'atomic', threads: 2, increments: 100000 });
  assert.equal(r.actual, r.expected);
  console.log(`# run after leaving a 2x2 s rwlock run mid-way finished ${Date.now() - t0} ms after Run`);
  await lab.open();
});

test('phone width: the lab fits without sideways scrolling', async () => {
  const phone = await openPage(browser, server.origin, { viewport: { width: 390, height: 844 } });
  const l = new LabPage(phone.page, server.origin);
  await l.open();
  await l.run('deadlock', {});
  const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `lab scrolls sideways by ${overflow}px`);
  await phone.page.screenshot({ path: shot('lab-phone.png'), fullPage: true });
  assert.deepEqual(phone.problems.consoleErrors, []);
  await phone.context.close();
});

test('no console errors and no request off the page\'s origin', () => {
  assert.deepEqual(problems.consoleErrors, []);
  assert.deepEqual(problems.offOrigin, []);
});
