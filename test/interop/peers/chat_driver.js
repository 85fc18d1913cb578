'use strict';

// Drives pages of the duplex chat in headless Chromium for
// chat_chromium_test.go. It runs commands that arrive on stdin, one JSON
// object per line, one at a time, and answers each on stdout:
//
//   {"id":N,"cmd":"open","page":P,"url":U}          open page P (its own
//                                                    browser context) at U
//   {"id":N,"cmd":"nick","page":P,"nick":S}         type S in the nickname
//                                                    field and press Enter
//   {"id":N,"cmd":"say","page":P,"text":S}          type S in the message
//                                                    field and press Enter
//   {"id":N,"cmd":"wait","page":P,"opens":K,"closes":C,"messages":[...],
//    "timeout":MS}                                   wait until the page's
//       WebSocket has opened K times and closed C times, it is open if
//       C < K, and each text in messages is shown at least as many times
//       as it appears in the list
//   {"id":N,"cmd":"snapshot","page":P}              report the page's view
//   {"id":N,"cmd":"screenshot","page":P,"path":F}   save a PNG to F
//
// Answers: {"id":N,"ok":true,"result":VIEW} with VIEW =
//   {"state": body's data-state, "stateText": the state badge's text,
//    "messages": texts of the message list, "opens": K, "closes":
//    [{"code","reason","wasClean"}...], "urls": URLs of the WebSockets}
// or {"id":N,"ok":false,"error":"..."}.
//
// The WebSocket events are counted by a script added before the page's
// own, which wraps the browser's WebSocket class; the page is unchanged.
// Page console lines go to stderr. The driver closes the browser and exits
// when stdin ends, on SIGTERM, or after TIMEOUT_MS (argument 1).

const readline = require('readline');
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

const timeoutMs = Number(process.argv[2]) > 0 ? Number(process.argv[2]) : 120000;

// Runs in every page before its scripts.
function instrument() {
  const Native = window.WebSocket;
  const seen = { opens: 0, closes: [], urls: [] };
  window.__chatDriver = seen;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      seen.urls.push(this.url);
      this.addEventListener('open', () => { seen.opens++; });
      this.addEventListener('close', (e) => {
        seen.closes.push({ code: e.code, reason: e.reason, wasClean: e.wasClean });
      });
    }
  };
}

// Runs in the page: what it shows.
function view() {
  const seen = window.__chatDriver || { opens: 0, closes: [], urls: [] };
  return {
    state: document.body.dataset.state || '',
    stateText: document.getElementById('state').textContent,
    messages: Array.from(document.querySelectorAll('#messages li'), (li) => li.textContent),
    opens: seen.opens,
    closes: seen.closes,
    urls: seen.urls,
  };
}

// Runs in the page: whether a wait command's condition holds.
function ready(want) {
  const seen = window.__chatDriver;
  if (!seen || seen.opens < want.opens || seen.closes.length < want.closes) return false;
  if (want.closes < want.opens && document.body.dataset.state !== 'open') return false;
  const shown = new Map();
  for (const li of document.querySelectorAll('#messages li')) {
    shown.set(li.textContent, (shown.get(li.textContent) || 0) + 1);
  }
  const needed = new Map();
  for (const m of want.messages) needed.set(m, (needed.get(m) || 0) + 1);
  for (const [m, n] of needed) {
    if ((shown.get(m) || 0) < n) return false;
  }
  return true;
}

let browser = null;
const pages = new Map();

async function launch() {
  if (!browser) {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 30000 });
  }
  return browser;
}

function page(name) {
  const p = pages.get(name);
  if (!p) throw new Error('no page ' + JSON.stringify(name));
  return p;
}

async function run(cmd) {
  switch (cmd.cmd) {
    case 'open': {
      const context = await (await launch()).newContext();
      const p = await context.newPage();
      await p.addInitScript(instrument);
      p.on('console', (m) => process.stderr.write(cmd.page + ' console ' + m.type() + ': ' + m.text() + '\n'));
      p.on('pageerror', (e) => process.stderr.write(cmd.page + ' uncaught: ' + (e && e.stack || e) + '\n'));
      pages.set(cmd.page, p);
      const response = await p.goto(cmd.url, { timeout: 30000 });
      if (!response || !response.ok()) {
        throw new Error('loading ' + cmd.url + ': ' + (response ? 'HTTP ' + response.status() : 'no response'));
      }
      return p.evaluate(view);
    }
    case 'nick': {
      const p = page(cmd.page);
      await p.fill('#nick', cmd.nick);
      await p.press('#nick', 'Enter');
      await p.waitForSelector('#text', { state: 'visible', timeout: 5000 });
      return p.evaluate(view);
    }
    case 'say': {
      const p = page(cmd.page);
      await p.fill('#text', cmd.text);
      await p.press('#text', 'Enter');
      return p.evaluate(view);
    }
    case 'wait': {
      const p = page(cmd.page);
      const want = { opens: cmd.opens || 0, closes: cmd.closes || 0, messages: cmd.messages || [] };
      try {
        await p.waitForFunction(ready, want, { timeout: cmd.timeout || 20000, polling: 50 });
      } catch (e) {
        throw new Error('waiting for ' + JSON.stringify(want) + ': ' + e.message.split('\n')[0] +
          '; the page shows ' + JSON.stringify(await p.evaluate(view)));
      }
      return p.evaluate(view);
    }
    case 'snapshot':
      return page(cmd.page).evaluate(view);
    case 'screenshot':
      await page(cmd.page).screenshot({ path: cmd.path, fullPage: true, timeout: 10000 });
      return page(cmd.page).evaluate(view);
    default:
      throw new Error('unknown command ' + JSON.stringify(cmd.cmd));
  }
}

let quitting = false;

async function quit(code) {
  if (quitting) return;
  quitting = true;
  if (browser) {
    try {
      await browser.close();
    } catch (e) {
      process.stderr.write('closing the browser: ' + e + '\n');
    }
  }
  process.exit(code);
}

setTimeout(() => {
  process.stderr.write('chat driver timed out after ' + timeoutMs + ' ms\n');
  quit(1);
}, timeoutMs).unref();
process.on('SIGTERM', () => quit(1));
process.on('SIGINT', () => quit(1));

// One command at a time, in order.
let queue = Promise.resolve();
const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  queue = queue.then(async () => {
    let cmd;
    try {
      cmd = JSON.parse(line);
      const result = await run(cmd);
      process.stdout.write(JSON.stringify({ id: cmd.id, ok: true, result }) + '\n');
    } catch (e) {
      process.stdout.write(JSON.stringify({ id: cmd && cmd.id, ok: false, error: String(e && e.stack || e) }) + '\n');
    }
  });
});
rl.on('close', () => {
  queue.then(() => quit(0));
});
