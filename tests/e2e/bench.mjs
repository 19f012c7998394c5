// Browser side of the lab benchmark: runs the counter experiment (atomic, mutex) on the Web
// Worker pool through the page, as a learner would, and prints one line per mode in the same
// format as the native `lab_bench` example, so scripts/bench.sh can print ratios.
//   node tests/e2e/bench.mjs [runs] [threads] [increments]
import { serve, launch, openPage } from './lib/harness.mjs';
import { LessonPage } from './lib/lesson-page.mjs';

const runs = Number(process.argv[2] || 5);
const threads = Number(process.argv[3] || 2);
const increments = Number(process.argv[4] || 5000000);

const server = await serve();
const browser = await launch();
try {
  const { page, problems } = await openPage(browser, server.origin);
  const lesson = new LessonPage(page, server.origin);
  await lesson.open();
  await lesson.waitForPool();
  for (const mode of ['atomic', 'mutex']) {
    const rates = [];
    for (let i = 0; i < runs; i++) {
      const r = await lesson.runReal({ mode, threads, increments });
      if (r.actual !== r.expected) throw new Error(`${mode} was not exact: ${r.actual} of ${r.expected}`);
      rates.push(Number(r.expected) / Number(r.ms) * 1000);
    }
    rates.sort((a, b) => a - b);
    const median = rates[Math.floor(rates.length / 2)];
    console.log(`BROWSER counter-${mode} threads=${threads} increments=${increments} runs=${runs} median_per_sec=${median.toFixed(0)}`);
  }
  if (problems.consoleErrors.length) throw new Error('console errors: ' + problems.consoleErrors.join('; '));
} finally {
  await browser.close();
  server.stop();
}
