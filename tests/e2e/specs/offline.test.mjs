// The learner's journey on a host that cannot send COOP/COEP (GitHub Pages): the first visit
// registers the service worker and reloads once, after which the page is cross-origin isolated
// and real threads run; then the network goes away and the course map, every lesson and a real
// run still work from the worker's cache. And a redeploy: the new build's worker replaces the
// old one and its cache.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serve, launch, openPage, watchConsole, shot, assertClean, DIST, ROOT } from '../lib/harness.mjs';
import { LessonPage } from '../lib/lesson-page.mjs';

// Each test serves dist/ itself, WITHOUT isolation headers: the first one stops its server midway.
let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Every file of dist/ as a path relative to it. */
function distFiles(dir = DIST, prefix = '') {
  return readdirSync(dir).flatMap(name => {
    const rel = prefix + name;
    return statSync(path.join(dir, name)).isDirectory() ? distFiles(path.join(dir, name), rel + '/') : [rel];
  });
}

/** Counts the documents `page` loads: a reload is one more. It counts the main frame's
 * document requests (from the network or the service worker), not DOMContentLoaded: when the
 * worker takes control quickly, the page reloads before its first document got that far, and
 * a count of DOMContentLoaded missed the first load (the spec's occasional "1 !== 2"). Hash
 * changes make no request, so they do not count. */
function countLoads(page) {
  const loads = { n: 0 };
  page.on('request', r => {
    if (r.isNavigationRequest() && r.resourceType() === 'document' && r.frame() === page.mainFrame()) loads.n += 1;
  });
  return loads;
}

/** Waits until the page is controlled by the service worker and cross-origin isolated; the
 * page reloads on the way, so each probe may meet a page that is going away. */
async function waitIsolated(page, timeout = 60_000) {
  const end = Date.now() + timeout;
  for (;;) {
    const state = await page.evaluate(() => ({
      isolated: crossOriginIsolated, controlled: !!navigator.serviceWorker?.controller,
    })).catch(() => null);
    if (state?.isolated && state.controlled) return;
    if (Date.now() > end) throw new Error(`not isolated by the service worker after ${timeout} ms: ${JSON.stringify(state)}`);
    await new Promise(r => setTimeout(r, 100));
  }
}

/** Presses `1` and waits for the step counter to move. */
async function stepsWithKey(page, slug) {
  const was = (await page.getByTestId('step-count').textContent()).trim();
  await page.keyboard.press('1');
  await page.waitForFunction(prev => document.querySelector('[data-testid=step-count]')?.textContent.trim() !== prev,
    was, { timeout: 10_000 }).catch(() => { throw new Error(`${slug}: key 1 did not step (counter stayed ${was})`); });
}

test('no headers: the service worker isolates after one reload; offline, every lesson opens, steps and runs', async () => {
  const server = await serve({ isolated: false });
  try {
    const { page, context, problems } = await openPage(browser, server.origin);
    const loads = countLoads(page);
    const t0 = Date.now();
    await page.goto(server.origin + '/');
    await waitIsolated(page);
    const isolatedMs = Date.now() - t0;
    assert.equal(loads.n, 2, 'the first visit loads the page, then reloads it exactly once');
    // Isolated now, the page forgets its one reload (the guard only stops back-to-back ones).
    assert.equal(await page.evaluate(() => sessionStorage.getItem('lockstep-isolation-reload')), null);

    // The build-time precache holds every file of dist/ but the worker itself.
    const cached = await page.evaluate(async () => {
      const names = (await caches.keys()).filter(n => n.startsWith('lockstep:'));
      const keys = names.length === 1 ? await (await caches.open(names[0])).keys() : [];
      return { names, urls: keys.map(r => new URL(r.url).pathname.slice(1)) };
    });
    assert.equal(cached.names.length, 1, `one cache for this build: ${cached.names}`);
    const want = distFiles().filter(f => f !== 'sw.js' && !path.basename(f).startsWith('.')).sort();
    assert.deepEqual(want.filter(f => !cached.urls.includes(f)), [], 'every dist/ file is precached');
    assert.ok(want.some(f => f.startsWith('snippets/')), 'the worker helpers are among them');

    // Online: real threads on a lesson.
    const slugs = await page.locator('[data-testid=lesson-link]').evaluateAll(els => els.map(e => e.dataset.lesson));
    assert.ok(slugs.length >= 10, `lessons on the course map: ${slugs}`);
    const lesson = new LessonPage(page, server.origin);
    await lesson.open('race-condition');
    await lesson.waitForPool();
    const online = await lesson.runReal();
    assert.ok(online.run, `a real run reported: ${JSON.stringify(online)}`);
    assert.equal(loads.n, 2, 'no reload after the page became isolated');
    console.log(`# isolated by the service worker ${isolatedMs} ms after the first navigation (${loads.n} loads)`);

    // Offline: no network, and no server either (in case the emulation missed the worker).
    await context.setOffline(true);
    server.stop();
    await page.goto(server.origin + '/');
    await page.locator('[data-testid=lesson-link]').first().waitFor();
    assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'the cached page is isolated too');
    assert.equal(loads.n, 3);
    // The manifest and every icon it names come from the cache as well.
    const manifest = await page.evaluate(async () => {
      const m = await (await fetch(document.querySelector('link[rel=manifest]').href)).json();
      const iconStatus = await Promise.all(m.icons.map(async i => `${i.src} ${(await fetch(i.src)).status}`));
      return { ...m, iconStatus };
    });
    assert.equal(manifest.display, 'standalone');
    assert.equal(manifest.start_url, '.');
    assert.deepEqual(manifest.iconStatus, manifest.icons.map(i => `${i.src} 200`));

    const t1 = Date.now();
    for (const slug of slugs) {
      // A new tab per lesson: each one is a full load from the cache, not a hash change.
      const tab = await context.newPage();
      watchConsole(tab, problems);
      const tabLoads = countLoads(tab);
      const l = new LessonPage(tab, server.origin);
      await l.open(slug);
      assert.equal(await tab.evaluate(() => crossOriginIsolated), true, `${slug}: isolated offline`);
      await stepsWithKey(tab, slug);
      assert.equal(tabLoads.n, 1, `${slug}: loaded once`);
      await tab.close();
    }
    console.log(`# ${slugs.length} lessons opened and stepped offline in ${Date.now() - t1} ms`);

    // One real run offline, on the pool this offline page started: the worker helpers and the
    // app's module come from the cache as well.
    await lesson.open('race-condition');
    await lesson.waitForPool();
    const offline = await lesson.runReal();
    assert.ok(offline.run, `a real run reported offline: ${JSON.stringify(offline)}`);
    await page.screenshot({ path: shot('offline-race-condition.png'), fullPage: true });
    assert.equal(loads.n, 3, 'no reload loop');
    assertClean(problems);
    await context.setOffline(false);
    await context.close();
  } finally {
    server.stop();
  }
});

test('a network that hangs: after 4 s the worker serves the cached page, isolated, instead of waiting', async () => {
  const first = await serve({ isolated: false });
  const port = Number(new URL(first.origin).port);
  let hanging;
  try {
    const { page, context, problems } = await openPage(browser, first.origin);
    await page.goto(first.origin + '/');
    await waitIsolated(page);
    first.stop();
    // The same origin again, but pages never answer (the other files still do).
    hanging = await serve({ isolated: false, port, hangPages: true });
    const t0 = Date.now();
    // A new document (the query differs), not a hash change within this one.
    await page.goto(first.origin + '/?again#/lesson/semaphore', { timeout: 30_000 });
    await page.getByTestId('lesson').waitFor({ timeout: 30_000 });
    const ms = Date.now() - t0;
    assert.equal(await page.evaluate(() => crossOriginIsolated), true);
    assert.ok(ms >= 3_500, `the network had its chance first (${ms} ms)`);
    assert.ok(ms < 20_000, `served from the cache, not after the server's minute (${ms} ms)`);
    console.log(`# hanging network: the lesson opened from the cache after ${ms} ms`);
    assertClean(problems);
    await context.close();
  } finally {
    first.stop();
    hanging?.stop();
  }
});

test('a new build: its worker takes over, the old cache is deleted, the page shows the new build', async () => {
  // A copy of dist/ to redeploy: index.html changes and the build hook rewrites sw.js.
  const dir = mkdtempSync(path.join(tmpdir(), 'lockstep-dist-'));
  cpSync(DIST, dir, { recursive: true });
  const site = await serve({ isolated: false, dir });
  try {
    const { page, context, problems } = await openPage(browser, site.origin);
    const loads = countLoads(page);
    await page.goto(site.origin + '/');
    await waitIsolated(page);
    const cacheNames = () => page.evaluate(async () => (await caches.keys()).filter(n => n.startsWith('lockstep:')));
    const [first, ...others] = await cacheNames();
    assert.deepEqual(others, []);

    const index = path.join(dir, 'index.html');
    writeFileSync(index, readFileSync(index, 'utf8').replace('</head>', '<meta name="lockstep-deploy" content="2"></head>'));
    execFileSync('python3', [path.join(ROOT, 'scripts/sw_precache.py')], { env: { ...process.env, TRUNK_STAGING_DIR: dir } });
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update());
    // The new worker installs (caching the new build), activates, deletes the old cache.
    let names;
    for (const end = Date.now() + 30_000; Date.now() < end; await new Promise(r => setTimeout(r, 100))) {
      names = await cacheNames();
      if (names.length === 1 && names[0] !== first) break;
    }
    assert.equal(names.length, 1, `only the new build's cache is left: ${names}`);
    assert.notEqual(names[0], first);

    await page.reload();
    assert.equal(await page.locator('meta[name=lockstep-deploy]').count(), 1, 'the new build is served');
    assert.equal(await page.evaluate(() => crossOriginIsolated), true);
    assert.equal(loads.n, 3, 'the first visit, its one reload, and ours');
    assertClean(problems);
    await context.close();
  } finally {
    site.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
