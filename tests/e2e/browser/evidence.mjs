// Test-only: open fips-setup's evidence in headless Chromium (Debian's) and report what it shows.
//
//   node evidence.mjs HEIMDALL_URL JOBS.json  -> one JSON line: a result per job
//
// JOBS.json: [{"hdf": FILE, "shot": PNG}, {"page": FILE_URL, "shot": PNG}, ...], all in one
// browser. An "hdf" job loads FILE into Heimdall Lite (served at HEIMDALL_URL) through its
// upload input, as a person would, and reads the status cards off the page; a "page" job
// renders an HTML file and reads its title and verdict. Each job keeps a screenshot.
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const [heimdall, jobsFile] = process.argv.slice(2);
const jobs = JSON.parse(readFileSync(jobsFile, 'utf8'));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: FLAGS });
const results = [];
try {
  for (const job of jobs) {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    if (job.hdf) {
      await page.goto(heimdall);
      await page.setInputFiles('input[type=file]', job.hdf);
      await page.getByText(/^Passed: \d+$/).first().waitFor({ timeout: 60000 });
      const text = await page.innerText('body');
      const count = (label) => {
        const found = text.match(new RegExp(`^${label}: (\\d+)$`, 'm'));
        return found ? Number(found[1]) : 0;
      };
      await page.screenshot({ path: job.shot });
      results.push({
        passed: count('Passed'), failed: count('Failed'), not_applicable: count('Not Applicable'),
        not_reviewed: count('Not Reviewed'), profile_errors: count('Profile Errors?'),
      });
    } else {
      await page.goto(job.page);
      await page.screenshot({ path: job.shot });
      await page.screenshot({ path: job.shot.replace(/\.png$/, '-full.png'), fullPage: true });
      results.push({
        title: await page.title(),
        verdict: await page.locator('.verdict').first().innerText(),
        headings: await page.locator('h2').allInnerTexts(),
      });
    }
    await page.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(results));
