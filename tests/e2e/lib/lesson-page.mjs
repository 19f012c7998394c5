// Page object for a lesson page: what a learner sees and does, by role and test id.
export class LessonPage {
  constructor(page, origin) {
    this.page = page;
    this.origin = origin;
  }

  async open(slug = 'race-condition', query = '') {
    await this.page.goto(`${this.origin}/#/lesson/${slug}${query}`);
    await this.page.getByRole('heading', { level: 1 }).waitFor();
    await this.page.locator(`[data-testid=lesson][data-lesson="${slug}"]`).waitFor();
    // Its prose (intro, goals, hints) is a file of its own, fetched when the lesson opens.
    await this.page.locator(`[data-testid=lesson][data-lesson="${slug}"][data-prose=ready]`).waitFor({ timeout: 15_000 });
  }

  /** The lesson root's data-* (lesson, variants, variant, expect). */
  async info() {
    return this.page.getByTestId('lesson').evaluate(el => ({ ...el.dataset }));
  }

  /** Picks a variant in a radio-group picker by its label, and waits for it. */
  async pickVariant(label, slug) {
    const group = this.page.getByRole('radiogroup').first();
    const exact = group.getByRole('radio', { name: label, exact: true });
    await ((await exact.count()) === 1 ? exact : group.getByRole('radio', { name: label })).check();
    await this.expectAttr('[data-testid=lesson]', 'data-variant', slug);
  }

  lockSwitch() {
    return this.page.getByRole('switch', { name: /Lock/ });
  }

  async setLock(on) {
    const sw = this.lockSwitch();
    if ((await sw.getAttribute('aria-checked')) !== String(on)) await sw.click();
    await this.page.waitForFunction(v => document.querySelector('[role=switch]').getAttribute('aria-checked') === v, String(on));
  }

  stepButton(n) {
    return this.page.getByRole('button', { name: `Step T${n}`, exact: true });
  }

  async step(...threads) {
    for (const n of threads) await this.stepButton(n).click();
  }

  /** Waits until the element with `testid` reads `text` (the UI renders asynchronously). */
  async expectText(testid, text) {
    await this.page.waitForFunction(([id, want]) => {
      const el = document.querySelector(`[data-testid="${id}"]`);
      return el && el.textContent.trim() === want;
    }, [testid, String(text)], { timeout: 10_000 }).catch(async () => {
      const got = await this.page.getByTestId(testid).first().textContent().catch(() => '(missing)');
      throw new Error(`expected [data-testid=${testid}] to read ${JSON.stringify(String(text))}, it reads ${JSON.stringify(got)}`);
    });
  }

  /** Waits until `selector`'s attribute `name` equals `value`. */
  async expectAttr(selector, name, value) {
    await this.page.waitForFunction(([sel, n, want]) => {
      const el = document.querySelector(sel);
      return el && el.getAttribute(n) === want;
    }, [selector, name, String(value)], { timeout: 10_000 });
  }

  /** Waits for the run's outcome banner and returns its kind and text. */
  async waitOutcome() {
    await this.page.getByTestId('outcome').waitFor({ timeout: 10_000 });
    return this.outcome();
  }

  async sharedCounter() {
    return (await this.page.getByTestId('shared-counter').textContent()).trim();
  }

  async laneStatus(n) {
    return (await this.page.getByTestId(`status-${n}`).textContent()).trim();
  }

  async outcome() {
    const o = this.page.getByTestId('outcome');
    if (!(await o.count())) return null;
    return { kind: await o.getAttribute('data-kind'), text: (await o.textContent()).trim() };
  }

  async explore() {
    const variant = (await this.info()).variant;
    await this.page.getByRole('button', { name: /Explore (every interleaving|again)/ }).click();
    // The result for this variant (a result for another one may still be on screen).
    const r = this.page.locator(`[data-testid=explore-result][data-variant="${variant}"]`);
    await r.waitFor({ timeout: 60_000 });
    const attr = async n => r.getAttribute(n);
    return {
      total: BigInt(await attr('data-total')), bad: BigInt(await attr('data-bad')),
      states: Number(await attr('data-states')), truncated: (await attr('data-truncated')) === 'true',
    };
  }

  /** The explained outcome: kind, whether it is the variant's bug, title and step links. */
  async explained() {
    const o = this.page.getByTestId('outcome');
    await o.waitFor({ timeout: 20_000 });
    return o.evaluate(el => ({
      kind: el.dataset.kind, bad: el.dataset.bad === 'true',
      title: el.querySelector('.outcome-title').textContent.trim(),
      text: el.textContent.replace(/\s+/g, ' ').trim(),
      steps: [...el.querySelectorAll('button.step-ref')].map(b => Number(b.textContent.replace(/\D+/g, ''))),
    }));
  }

  async waitForPool() {
    await this.page.locator('[data-testid=pool-status][data-state=ready]').waitFor({ timeout: 30_000 });
  }

  /**
   * Runs the lesson's embedded lab experiment with `params` (by key: numbers fill inputs,
   * strings pick options, booleans tick); resolves to the result's data-* (the lab's hooks).
   */
  async runReal(params = {}) {
    const card = this.page.locator('[data-testid=lesson] [data-testid=experiment]');
    const slug = await card.getAttribute('data-experiment');
    for (const [key, value] of Object.entries(params)) {
      const el = card.locator(`#${slug}-${key}`);
      if (typeof value === 'boolean') await el.setChecked(value);
      else if (typeof value === 'string') await el.selectOption(value);
      else await el.fill(String(value));
    }
    const result = card.locator('[data-testid=lab-result]');
    const before = (await result.count()) ? await result.getAttribute('data-run') : null;
    await card.getByRole('button', { name: 'Run', exact: true }).click();
    await this.page.waitForFunction(prev => {
      const el = document.querySelector('[data-testid=lesson] [data-testid=lab-result]');
      return el && el.getAttribute('data-run') !== prev;
    }, before, { timeout: 60_000 });
    await card.getByRole('button', { name: 'Run', exact: true }).waitFor();
    return result.evaluate(el => ({ ...el.dataset }));
  }
}

/** A fresh page on `slug` (with `query`): `{ page, context, problems, lesson }`. */
export async function openLesson(browser, origin, slug, query = '', opts) {
  const { openPage } = await import('./harness.mjs');
  const { page, context, problems } = await openPage(browser, origin, opts);
  const lesson = new LessonPage(page, origin);
  await lesson.open(slug, query);
  return { page, context, problems, lesson };
}
