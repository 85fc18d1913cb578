'use strict';

// Drives headless Chromium for chromium_test.go: opens a page, waits until
// the page's script has stored its findings in window.chromiumResult, and
// prints them.
//
//   node chromium_driver.js URL [SCREENSHOT.png] [TIMEOUT_MS]
//
// Output is one JSON object on stdout:
//   {"event":"result","result":{...},"console":[...]}   the page finished
//   {"event":"error","message":"...","console":[...]}   it did not
// Page console messages and errors are kept in "console" and also copied
// to stderr as they come.
//
// The browser runs with a fresh profile that Playwright creates and removes.
// The driver closes it and exits when the timeout passes, when it gets
// SIGINT, SIGTERM or SIGHUP, or when its stdin ends (the test that started
// it has gone).

const { chromium } = require('playwright-core');

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const [url, screenshot = '', timeoutArg = '60000'] = process.argv.slice(2);
if (!url) {
  process.stderr.write('usage: node chromium_driver.js URL [SCREENSHOT.png] [TIMEOUT_MS]\n');
  process.exit(2);
}
const timeoutMs = Number(timeoutArg) > 0 ? Number(timeoutArg) : 60000;
const started = Date.now();

function remaining() {
  return Math.max(1000, timeoutMs - (Date.now() - started));
}

const consoleLines = [];

function note(line) {
  consoleLines.push(line);
  process.stderr.write('page: ' + line + '\n');
}

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

let browser = null;
let finished = false;

async function finish(obj, code) {
  if (finished) return;
  finished = true;
  if (obj) emit(obj);
  if (browser) {
    try {
      await browser.close();
    } catch (e) {
      process.stderr.write('closing the browser: ' + e + '\n');
    }
  }
  process.exitCode = code;
  // stdin is being watched; stop so that the process can exit.
  process.stdin.destroy();
}

const overall = setTimeout(() => {
  finish({ event: 'error', message: 'driver timed out after ' + timeoutMs + ' ms', console: consoleLines }, 1)
    .finally(() => process.exit(1));
}, timeoutMs);

process.stdin.on('end', () => {
  finish({ event: 'error', message: 'stdin closed before the page finished', console: consoleLines }, 1)
    .finally(() => process.exit(1));
});
process.stdin.resume();

async function main() {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    timeout: remaining(),
  });
  const page = await browser.newPage();
  page.on('console', (m) => note(m.type() + ': ' + m.text()));
  page.on('pageerror', (e) => note('uncaught: ' + (e && e.stack || e)));

  const response = await page.goto(url, { timeout: remaining() });
  if (!response || !response.ok()) {
    throw new Error('loading ' + url + ': ' + (response ? 'HTTP ' + response.status() : 'no response'));
  }
  await page.waitForFunction(() => window.chromiumResult !== undefined, null, {
    timeout: remaining(),
    polling: 50,
  });
  const result = await page.evaluate(() => window.chromiumResult);
  result.browserVersion = browser.version();
  if (screenshot) {
    await page.screenshot({ path: screenshot, fullPage: true, timeout: remaining() });
  }
  return result;
}

main().then(
  (result) => {
    clearTimeout(overall);
    return finish({ event: 'result', result, console: consoleLines }, 0);
  },
  (err) => {
    clearTimeout(overall);
    return finish({ event: 'error', message: String(err && err.stack || err), console: consoleLines }, 1);
  },
);
