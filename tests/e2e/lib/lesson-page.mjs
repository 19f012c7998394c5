// Page object for a lesson page: what a learner sees and does, by role and test id.
export class LessonPage {
  constructor(page, origin) {
    this.page = page;
    this.origin = origin;
  }

  async open(slug = 'race-condition', query = '') {
    await this.page.goto(`${this.origin}/#/lesson/${slug}${query}`);
    await this.page.getByRole('heading', { level: 1 }).waitFor();
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
    const lock = (await this.lockSwitch().getAttribute('aria-checked')) === 'true' ? 'on' : 'off';
    await this.page.getByRole('button', { name: /Explore (every interleaving|again)/ }).click();
    // The result for this lock setting (a result for the other one may still be on screen).
    const r = this.page.locator(`[data-testid=explore-result][data-lock=${lock}]`);
    await r.waitFor({ timeout: 30_000 });
    return { total: Number(await r.getAttribute('data-total')), bad: Number(await r.getAttribute('data-bad')) };
  }

  async waitForPool() {
    await this.page.locator('[data-testid=pool-status][data-state=ready]').waitFor({ timeout: 30_000 });
  }

  /** Runs the real counter in `mode` (racy | mutex | atomic); returns the result's data-*. */
  async runReal(mode, { threads, increments } = {}) {
    const names = { racy: /Racy/, mutex: /Mutex/, atomic: /Atomic/ };
    await this.page.getByRole('radio', { name: names[mode] }).click();
    if (threads) await this.page.getByRole('spinbutton', { name: /^Threads/ }).fill(String(threads));
    if (increments) await this.page.getByRole('spinbutton', { name: /^Increments per thread/ }).fill(String(increments));
    const before = await this.page.getByTestId('real-result').count()
      ? await this.page.getByTestId('real-result').getAttribute('data-run') : null;
    await this.page.getByRole('button', { name: 'Run on real threads' }).click();
    await this.page.waitForFunction(prev => {
      const el = document.querySelector('[data-testid=real-result]');
      return el && el.getAttribute('data-run') !== prev;
    }, before, { timeout: 60_000 });
    return this.page.getByTestId('real-result').evaluate(el => ({ ...el.dataset }));
  }
}
