'use strict';

// Shared behaviour of the Node.js `ws` peers (ws_server.js, ws_client.js).
//
// A peer is a programmable echo endpoint. Every message it receives is sent
// back unchanged with the same type, except text messages that are JSON
// objects with a "cmd" field, which it runs:
//
//   {"cmd":"send","type":"text"|"binary","size":N,"fragments":K}
//       send the deterministic pattern of N bytes as one message split into
//       K frames (K <= 1 sends a single unfragmented frame)
//   {"cmd":"ping","data":"..."}
//       send a ping; when the pong arrives, send the text {"pong":"..."}
//   {"cmd":"close","code":C,"reason":"..."}
//       start the closing handshake with that code and reason
//   {"cmd":"send_invalid_text"}
//       send a text message that is not valid UTF-8 (ws does not check
//       what it sends), which the receiver must reject with 1007
//
// Events go to stdout, one JSON object per line:
//   {"event":"open","id":...,"protocol":...,"extensions":...}
//   {"event":"close","id":...,"code":...,"reason":...}
//   {"event":"error","id":...,"message":...}

// The largest message the peers accept; the tests send up to 16 MiB.
const MAX_PAYLOAD = 64 << 20;

// TEXT_UNIT mixes 1-, 2-, 3- and 4-byte UTF-8 sequences so that fragment
// boundaries fall inside characters. It is 26 bytes long.
const TEXT_UNIT = Buffer.from('duplex \u00e9 \u00df \u20ac \u2713 \u{1d11e} ', 'utf8');

// INVALID_UTF8 is "ok" followed by a lone continuation byte.
const INVALID_UTF8 = Buffer.from([0x6f, 0x6b, 0x80]);

const patterns = new Map();

// pattern returns the payload of `size` bytes that every peer and the Go
// tests agree on. binary: byte i is i % 251. text: TEXT_UNIT repeated, cut
// at the last character boundary at or before `size` and padded with '.'.
function pattern(type, size) {
  const key = type + ':' + size;
  let p = patterns.get(key);
  if (p !== undefined) return p;
  if (type === 'binary') {
    p = Buffer.allocUnsafe(size);
    for (let i = 0; i < size; i++) p[i] = i % 251;
  } else {
    const b = Buffer.alloc(size + 1, TEXT_UNIT);
    let m = size;
    while (m > 0 && (b[m] & 0xc0) === 0x80) m--;
    b.fill(0x2e, m, size);
    p = b.subarray(0, size);
  }
  patterns.set(key, p);
  return p;
}

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function sendPattern(ws, cmd) {
  const binary = cmd.type === 'binary';
  const data = pattern(cmd.type, cmd.size);
  const k = Math.max(1, cmd.fragments | 0);
  for (let i = 0; i < k; i++) {
    const from = Math.floor((i * data.length) / k);
    const to = Math.floor(((i + 1) * data.length) / k);
    ws.send(data.subarray(from, to), { binary, fin: i === k - 1 });
  }
}

function runCommand(ws, cmd) {
  switch (cmd.cmd) {
    case 'send':
      sendPattern(ws, cmd);
      break;
    case 'ping':
      ws.ping(Buffer.from(cmd.data || '', 'utf8'));
      break;
    case 'close':
      ws.close(cmd.code, cmd.reason || '');
      break;
    case 'send_invalid_text':
      ws.send(INVALID_UTF8, { binary: false });
      break;
    default:
      throw new Error('unknown command ' + JSON.stringify(cmd.cmd));
  }
}

function isCommand(data, isBinary) {
  return !isBinary && data.length > 7 && data.subarray(0, 7).toString() === '{"cmd":';
}

// drive attaches the echo and command behaviour to an open WebSocket and
// calls done() after the connection has closed and been reported.
function drive(ws, id, done) {
  emit({ event: 'open', id, protocol: ws.protocol, extensions: ws.extensions });
  ws.on('message', (data, isBinary) => {
    if (isCommand(data, isBinary)) {
      try {
        runCommand(ws, JSON.parse(data.toString()));
      } catch (err) {
        emit({ event: 'error', id, message: String(err && err.message) });
      }
      return;
    }
    ws.send(data, { binary: isBinary });
  });
  ws.on('pong', (data) => {
    ws.send(JSON.stringify({ pong: data.toString() }));
  });
  ws.on('error', (err) => {
    emit({ event: 'error', id, message: String(err && err.message) });
  });
  ws.on('close', (code, reason) => {
    emit({ event: 'close', id, code, reason: reason.toString() });
    if (done) done();
  });
}

// exitWithStdin ends the process when the test that started it goes away.
function exitWithStdin() {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}

module.exports = { MAX_PAYLOAD, pattern, emit, drive, exitWithStdin };
