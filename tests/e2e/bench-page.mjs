// Page figures for scripts/bench.sh (never pass/fail): how soon the worker pool is ready after
// navigation (a fresh browser per load), and the main thread's long tasks (> 50 ms, from a
// PerformanceObserver) while each lesson explores its variants and runs its real experiment.
// Prints `PAGE <json>` lines.
//   node tests/e2e/bench-page.mjs [loads]
import { serve, launch, openPage } from './lib/harness.mjs';

const loads = Number(process.argv[2] || 5);
const server = await serve();

// Pool ready: time from navigation start to the pool badge saying ready, fresh browser each,
// two ways. "cold": navigate as soon as the browser is up. A fresh headless Chromium spends its
// first seconds loading its own UI (the address bar's popup page, in a renderer of its own:
// 3.8-6.2 s of CPU in traces on this 2-core machine), which competes with the page. "settled":
// the same fresh browser, left 4 s on a blank tab first, as a learner's browser would be — the
// app's own figure.
const median = xs => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
async function poolReady(settleMs) {
  const browser = await launch();
  try {
    const { page } = await openPage(browser, server.origin);
    await page.addInitScript(() => {
      const look = () => {
        const el = document.querySelector('[data-testid=pool-status][data-state=ready]');
        if (el && !window.__poolReady) window.__poolReady = performance.now();
      };
      new MutationObserver(look).observe(document, { subtree: true, childList: true, attributes: true });
    });
    if (settleMs) await page.waitForTimeout(settleMs);
    await page.goto(`${server.origin}/#/lesson/race-condition`);
    await page.waitForFunction(() => window.__poolReady, null, { timeout: 60_000 });
    return await page.evaluate(() => window.__poolReady);
  } finally {
    await browser.close();
  }
}
const ready = { cold: [], settled: [] };
for (let i = 0; i < loads; i++) {
  // Alternated, so both see the same machine.
  ready.cold.push(await poolReady(0));
  ready.settled.push(await poolReady(4000));
}
for (const [how, xs] of Object.entries(ready)) {
  const figure = how === 'settled' ? 'pool-ready-ms' : 'pool-ready-cold-ms';
  console.log('PAGE ' + JSON.stringify({ figure, median: Math.round(median(xs)), min: Math.round(Math.min(...xs)), max: Math.round(Math.max(...xs)), loads }));
}

// Long tasks while every lesson explores every variant and runs its real experiment.
const browser = await launch();
try {
  const { page } = await openPage(browser, server.origin);
  await page.addInitScript(() => {
    window.__long = [];
    new PerformanceObserver(list => {
      for (const e of list.getEntries()) window.__long.push(Math.round(e.duration));
    }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto(`${server.origin}/#/`);
  const links = page.locator('[data-testid=lesson-link]');
  await links.first().waitFor();
  const slugs = await links.evaluateAll(els => els.map(e => e.dataset.lesson));
  const rows = [];
  for (const slug of slugs) {
    await page.goto(`${server.origin}/#/lesson/${slug}`);
    const root = page.locator(`[data-testid=lesson][data-lesson="${slug}"]`);
    await root.waitFor();
    await page.locator('[data-testid=pool-status][data-state=ready]').waitFor({ timeout: 60_000 });
    await page.evaluate(() => { window.__long = []; });
    const variants = (await root.getAttribute('data-variants')).split(',');
    let explored = 0;
    for (const v of variants) {
      await page.goto(`${server.origin}/#/lesson/${slug}?v=${v}`);
      await page.locator(`[data-testid=lesson][data-variant="${v}"]`).waitFor();
      const t0 = Date.now();
      await page.getByRole('button', { name: /Explore (every interleaving|again)/ }).click();
      await page.locator(`[data-testid=explore-result][data-variant="${v}"]`).waitFor({ timeout: 120_000 });
      explored += Date.now() - t0;
      const card = page.locator('[data-testid=lesson] [data-testid=experiment]');
      if (await card.count()) {
        const run = card.getByRole('button', { name: 'Run', exact: true });
        await run.waitFor();
        await page.waitForFunction(() => {
          const b = [...document.querySelectorAll('[data-testid=lesson] [data-testid=experiment] button')].find(x => x.textContent === 'Run');
          return b && !b.disabled;
        }, null, { timeout: 60_000 });
        await run.click();
        await card.locator('[data-testid=lab-result]').waitFor({ timeout: 120_000 });
        await card.getByRole('button', { name: 'Run', exact: true }).waitFor({ timeout: 120_000 });
      }
    }
    const long = await page.evaluate(() => window.__long);
    rows.push({ lesson: slug, variants: variants.length, explore_ms: explored, long_tasks: long.length, longest_ms: long.length ? Math.max(...long) : 0 });
  }
  for (const r of rows) console.log('PAGE ' + JSON.stringify({ figure: 'long-tasks', ...r }));
  console.log('PAGE ' + JSON.stringify({ figure: 'long-tasks-total', count: rows.reduce((a, r) => a + r.long_tasks, 0), lessons: rows.length }));
} finally {
  await browser.close();
  server.stop();
}
