// Page object for the lab: set an experiment's parameters, run or repeat it, read its figures.
export class LabPage {
  constructor(page, origin) {
    this.page = page;
    this.origin = origin;
  }

  async open(focus = '') {
    await this.page.goto(`${this.origin}/#/lab${focus ? '/' + focus : ''}`);
    await this.page.getByRole('heading', { level: 1, name: 'Real threads, measured' }).waitFor();
    await this.page.locator('[data-testid=pool-status][data-state=ready]').waitFor({ timeout: 30_000 });
  }

  card(slug) {
    return this.page.locator(`[data-testid=experiment][data-experiment="${slug}"]`);
  }

  /** Sets parameters by key: numbers fill inputs, strings pick select options, booleans tick. */
  async set(slug, params) {
    for (const [key, value] of Object.entries(params)) {
      const el = this.page.locator(`#${slug}-${key}`);
      if (typeof value === 'boolean') await el.setChecked(value);
      else if (typeof value === 'string') await el.selectOption(value);
      else await el.fill(String(value));
    }
  }

  /** Runs once; resolves to the result element's attributes (data-* without the prefix). */
  async run(slug, params = {}) {
    await this.set(slug, params);
    const card = this.card(slug);
    const result = card.locator('[data-testid=lab-result]');
    const before = (await result.count()) ? await result.getAttribute('data-run') : null;
    await card.getByRole('button', { name: 'Run', exact: true }).click();
    await this.page.waitForFunction(([s, prev]) => {
      const el = document.querySelector(`[data-experiment="${s}"] [data-testid=lab-result]`);
      return el && el.getAttribute('data-run') !== prev;
    }, [slug, before], { timeout: 60_000 });
    // Wait until the page is idle again (buttons re-enabled).
    await card.getByRole('button', { name: 'Run', exact: true }).waitFor();
    return result.evaluate(el => Object.fromEntries([...el.attributes]
      .filter(a => a.name.startsWith('data-')).map(a => [a.name.slice(5), a.value])));
  }

  /** Repeats `runs` times; resolves to the histogram's bins and attributes. */
  async repeat(slug, runs, params = {}) {
    await this.set(slug, params);
    const card = this.card(slug);
    await card.locator(`#runs-${slug}`).fill(String(runs));
    await card.getByRole('button', { name: `Repeat ${runs}×` }).click();
    const h = card.locator('[data-testid=lab-histogram]');
    await h.waitFor({ timeout: 120_000 });
    await card.getByRole('button', { name: 'Run', exact: true }).waitFor({ timeout: 120_000 });
    return h.evaluate(el => ({
      runs: Number(el.dataset.runs),
      key: el.dataset.key,
      bins: [...el.querySelectorAll('.bar')].map(b => [b.querySelector('.lbl').textContent, Number(b.querySelector('.cnt').textContent)]),
    }));
  }
}
