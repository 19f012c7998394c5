// Test harness: serves dist/ (with or without cross-origin isolation), launches Debian's
// Chromium through playwright-core, and records console errors and off-origin requests so
// every spec can assert there were none.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '../../..');
export const DIST = process.env.DIST || path.join(ROOT, 'dist');
export const ARTIFACTS = path.join(ROOT, 'tests/e2e/artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Starts tests/e2e/serve.py on `port` (default: a free one), serving `dir` (with `hangPages`,
 * pages get no answer: see serve.py); resolves to { origin, stop }. */
export async function serve({ isolated = true, dir = DIST, port = null, hangPages = false } = {}) {
  port ??= await freePort();
  const args = [path.join(ROOT, 'tests/e2e/serve.py'), dir, String(port)];
  if (!isolated) args.push('--no-isolation');
  if (hangPages) args.push('--hang-pages');
  const proc = spawn('python3', args, { stdio: 'ignore' });
  const origin = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(origin + (hangPages ? '/favicon.svg' : '/'));
      if (r.ok) break;
    } catch { /* not up yet */ }
    await new Promise(r => setTimeout(r, 100));
  }
  return { origin, stop: () => proc.kill() };
}

/** Launches headless Chromium with the flags this closed network needs. */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage'],
  });
}

/**
 * A new page in a new context that records console errors, page errors and requests that leave
 * `origin` (blob: URLs of this origin count as the origin: the worker pool uses them).
 * `serviceWorkers: 'block'` keeps Lockstep's service worker out (Playwright stubs `register`).
 */
export async function openPage(browser, origin, { viewport = { width: 1366, height: 900 }, reducedMotion = 'no-preference', serviceWorkers = 'allow' } = {}) {
  const context = await browser.newContext({ viewport, reducedMotion, serviceWorkers });
  const page = await context.newPage();
  const problems = { consoleErrors: [], offOrigin: [] };
  watchConsole(page, problems);
  context.on('request', r => {
    const u = r.url();
    const ok = u.startsWith(origin + '/') || u === origin || u.startsWith('blob:' + origin + '/') || u.startsWith('data:');
    if (!ok) problems.offOrigin.push(u);
  });
  return { page, context, problems };
}

/** Records `page`'s console errors and page errors into `problems` (for more pages of a context). */
export function watchConsole(page, problems) {
  page.on('console', m => { if (m.type() === 'error') problems.consoleErrors.push(m.text()); });
  page.on('pageerror', e => problems.consoleErrors.push('pageerror: ' + e.message));
}

export function shot(name) {
  return path.join(ARTIFACTS, name);
}

/** Every spec's closing check: no console error, no request off the page's origin. */
export function assertClean(problems) {
  if (problems.consoleErrors.length) throw new Error(`console errors: ${JSON.stringify(problems.consoleErrors)}`);
  if (problems.offOrigin.length) throw new Error(`requests outside the page origin: ${JSON.stringify(problems.offOrigin)}`);
}
