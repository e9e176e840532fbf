// Usage: node play.mjs PAGE_URL KIND [SECONDS] [TIMEOUT_SECONDS]
//
// Opens PAGE_URL (play.html?kind=KIND&src=SESSION_URL) in Debian's
// Chromium through playwright-core, and succeeds once the video's
// currentTime has advanced SECONDS (default 2) past where playback
// started. It fails on the first player or media element error, on a page
// error, or after TIMEOUT_SECONDS (default 60). It prints one JSON line
// with the outcome (for HLS with program dates, the live latencies
// measured, in seconds).
// playwright-core never downloads a browser; CHROMIUM
// overrides the executable.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [pageURL, kind, seconds = '2', timeoutSeconds = '60'] = process.argv.slice(2);
if (!pageURL || !kind) {
  console.error('usage: node play.mjs PAGE_URL KIND [SECONDS] [TIMEOUT_SECONDS]');
  process.exit(2);
}
const want = Number(seconds);
const deadline = Date.now() + Number(timeoutSeconds) * 1000;

// A fresh profile each run; without the background-networking flags
// Chromium tries to reach Google services, which a closed network refuses.
const profile = await mkdtemp(join(tmpdir(), 'openkvs-chromium-'));
let context;
let outcome = { kind, ok: false };
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    chromiumSandbox: false, // CI runs as root
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--autoplay-policy=no-user-gesture-required'],
    timeout: 30_000,
  });
  const page = context.pages()[0] || await context.newPage();
  const pageErrors = [];
  page.on('console', (m) => console.error(`[${kind} console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('response', (r) => {
    if (r.status() >= 400) console.error(`[${kind} HTTP ${r.status()}] ${r.url().replace(/SessionToken=[^&]*/, 'SessionToken=…')}`);
  });
  page.on('requestfailed', (r) => console.error(`[${kind} request failed] ${r.url().slice(0, 160)}: ${r.failure()?.errorText}`));
  await page.goto(pageURL, { waitUntil: 'load' });
  for (;;) {
    const s = await page.evaluate(() => window.playback);
    outcome = { kind, ok: false, advanced: s?.advanced, start: s?.start, currentTime: s?.currentTime,
      codecs: s?.codecs, latencies: s?.latencies, hlsLatencies: s?.hlsLatencies, warnings: s?.warnings, errors: [...(s?.errors || []), ...pageErrors.map((message) => ({ source: 'page', message }))] };
    if (outcome.errors.length > 0) {
      outcome.reason = 'player error';
      break;
    }
    if (s && s.advanced >= want) {
      outcome.ok = true;
      break;
    }
    if (Date.now() > deadline) {
      outcome.reason = `currentTime advanced ${s?.advanced ?? 0} s of ${want} s within ${timeoutSeconds} s`;
      break;
    }
    await page.waitForTimeout(200);
  }
} catch (e) {
  outcome.reason = String(e);
} finally {
  await context?.close().catch(() => {});
  await rm(profile, { recursive: true, force: true }).catch(() => {});
}
console.log(JSON.stringify(outcome));
process.exit(outcome.ok ? 0 : 1);
