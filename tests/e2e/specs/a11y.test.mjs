// Accessibility: axe-core (WCAG 2.0/2.1, levels A and AA) on the course map, the lab and every
// lesson, in the light and the dark scheme, with the page's interactive parts opened (hints,
// an exploration, the keyboard overlay). Zero violations. AXE_REPORT=path writes the counts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { serve, launch, openPage, assertClean } from '../lib/harness.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

let server, browser;
before(async () => { server = await serve(); browser = await launch(); });
after(async () => { await browser?.close(); server?.stop(); });

/** Runs axe on the page as it is; resolves to its violations, summarised. */
async function axe(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ path: AXE });
  const r = await page.evaluate(tags => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }), TAGS);
  return r.violations.map(v => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, targets: v.nodes.slice(0, 3).map(n => n.target.join(' ')), why: v.nodes[0]?.failureSummary }));
}

const report = {};

for (const scheme of ['light', 'dark']) {
  test(`axe: zero WCAG 2.1 A/AA violations on every page, ${scheme} scheme`, async () => {
    const { page, context, problems } = await openPage(browser, server.origin);
    await page.emulateMedia({ colorScheme: scheme });
    const found = {};
    const check = async name => { found[name] = await axe(page); };

    await page.goto(`${server.origin}/#/`);
    const links = page.locator('[data-testid=lesson-link]');
    await links.first().waitFor();
    const slugs = await links.evaluateAll(els => els.map(e => e.dataset.lesson));
    assert.equal(slugs.length, 15);
    await check('home');
    await page.keyboard.press('?');
    await page.getByRole('dialog').waitFor();
    await check('home + keyboard overlay');
    await page.keyboard.press('Escape');

    await page.goto(`${server.origin}/#/lab`);
    await page.getByRole('heading', { level: 1 }).waitFor();
    await check('lab');

    for (const slug of slugs) {
      await page.goto(`${server.origin}/#/lesson/${slug}`);
      await page.locator(`[data-testid=lesson][data-lesson="${slug}"]`).waitFor();
      await check(`lesson ${slug}`);
    }
    // One lesson with everything open: hints, a finished run, an exploration.
    await page.goto(`${server.origin}/#/lesson/race-condition?v=no-lock&s=1.ab4a3`);
    await page.getByTestId('lesson').waitFor();
    await page.getByTestId('hint-more').click();
    await page.getByTestId('hint-more').click();
    await page.getByRole('button', { name: /Explore every interleaving/ }).click();
    await page.getByTestId('explore-result').waitFor({ timeout: 60_000 });
    await check('race-condition, opened up');
    // A real run's measured timeline, with its table of spans open.
    await page.goto(`${server.origin}/#/lesson/deadlock?v=opposite-order`);
    await page.locator('[data-testid=pool-status][data-state=ready]').waitFor({ timeout: 30_000 });
    const card = page.locator('[data-testid=lesson] [data-testid=experiment]');
    await card.getByRole('button', { name: 'Run', exact: true }).click();
    await card.getByTestId('real-timeline').waitFor({ timeout: 60_000 });
    await card.getByRole('button', { name: 'Show the spans as a table' }).click();
    await card.getByTestId('real-timeline-table').waitFor();
    await check('deadlock, a measured timeline');

    report[scheme] = Object.fromEntries(Object.entries(found).map(([k, v]) => [k, v.length]));
    const bad = Object.entries(found).filter(([, v]) => v.length);
    assert.deepEqual(bad, [], JSON.stringify(bad, null, 1));
    assertClean(problems);
    await context.close();
  });
}

after(() => {
  if (process.env.AXE_REPORT) writeFileSync(process.env.AXE_REPORT, JSON.stringify(report, null, 1));
});
