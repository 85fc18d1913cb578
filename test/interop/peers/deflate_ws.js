'use strict';

// A Node.js `ws` peer with permessage-deflate for the compression interop
// tests (compress_node_test.go).
//
//   node deflate_ws.js server CONFIG
//   node deflate_ws.js client URL ID CONFIG
//
// CONFIG is a JSON object passed as ws's perMessageDeflate option (for
// example {"threshold":0,"serverMaxWindowBits":10}). The server listens on
// 127.0.0.1 on a free port and prints {"event":"listening","port":N}; a
// connection's id is its request path without the leading slash. The
// client connects to URL under the given id.
//
// Each connection echoes every message with its type, except text
// messages that are JSON objects with a "cmd" field:
//
//   {"cmd":"fragment_next","fragments":K}
//       echo the next message in K frames (fin:false pieces, then the last)
//   {"cmd":"close","code":C,"reason":"..."}
//       start the closing handshake
//
// Events go to stdout, one JSON object per line:
//   {"event":"open","id":...,"extensions":HEADER,"message":NAMES}
//       HEADER is the Sec-WebSocket-Extensions value of the handshake
//       response (received by the client, sent by the server), NAMES is
//       ws.extensions
//   {"event":"close","id":...,"code":...,"reason":...}
//   {"event":"error","id":...,"message":...}
// The process exits when its stdin closes.

const WebSocket = require('ws');
const { WebSocketServer } = WebSocket;

const MAX_PAYLOAD = 64 << 20;

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function isCommand(data, isBinary) {
  return !isBinary && data.length > 7 && data.subarray(0, 7).toString() === '{"cmd":';
}

// drive echoes and runs commands on an open connection.
function drive(ws, id, header, done) {
  emit({ event: 'open', id, extensions: header, message: ws.extensions });
  let fragmentNext = 0;
  ws.on('message', (data, isBinary) => {
    if (isCommand(data, isBinary)) {
      try {
        const cmd = JSON.parse(data.toString());
        if (cmd.cmd === 'fragment_next') {
          fragmentNext = Math.max(1, cmd.fragments | 0);
        } else if (cmd.cmd === 'close') {
          ws.close(cmd.code, cmd.reason || '');
        } else {
          throw new Error('unknown command ' + JSON.stringify(cmd.cmd));
        }
      } catch (err) {
        emit({ event: 'error', id, message: String(err && err.message) });
      }
      return;
    }
    const k = fragmentNext;
    fragmentNext = 0;
    if (k <= 1) {
      ws.send(data, { binary: isBinary });
      return;
    }
    for (let i = 0; i < k; i++) {
      const from = Math.floor((i * data.length) / k);
      const to = Math.floor(((i + 1) * data.length) / k);
      ws.send(data.subarray(from, to), { binary: isBinary, fin: i === k - 1 });
    }
  });
  ws.on('error', (err) => {
    emit({ event: 'error', id, message: String(err && err.message) });
  });
  ws.on('close', (code, reason) => {
    emit({ event: 'close', id, code, reason: reason.toString() });
    if (done) done();
  });
}

function extensionsHeader(lines) {
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0 && line.slice(0, i).trim().toLowerCase() === 'sec-websocket-extensions') {
      return line.slice(i + 1).trim();
    }
  }
  return '';
}

function server(config) {
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    maxPayload: MAX_PAYLOAD,
    perMessageDeflate: config,
  });
  const sent = new WeakMap(); // request -> the extensions header answered
  wss.on('headers', (headers, req) => {
    sent.set(req, extensionsHeader(headers));
  });
  wss.on('connection', (ws, req) => {
    drive(ws, req.url.replace(/^\//, ''), sent.get(req) || '');
  });
  wss.on('error', (err) => {
    emit({ event: 'error', id: '', message: String(err && err.message) });
    process.exit(1);
  });
  wss.on('listening', () => {
    emit({ event: 'listening', port: wss.address().port });
  });
}

function client(url, id, config) {
  const ws = new WebSocket(url, [], {
    maxPayload: MAX_PAYLOAD,
    handshakeTimeout: 10000,
    perMessageDeflate: config,
  });
  let header = '';
  ws.on('upgrade', (res) => {
    header = res.headers['sec-websocket-extensions'] || '';
  });
  ws.on('open', () => {
    drive(ws, id, header, () => process.exit(0));
  });
  ws.on('unexpected-response', (req, res) => {
    emit({ event: 'error', id, message: 'unexpected response ' + res.statusCode });
    process.exit(1);
  });
  ws.once('error', (err) => {
    if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.CLOSED) {
      emit({ event: 'error', id, message: String(err && err.message) });
      process.exit(1);
    }
  });
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'server' && args.length === 1) {
  server(JSON.parse(args[0]));
} else if (mode === 'client' && args.length === 3) {
  client(args[0], args[1], JSON.parse(args[2]));
} else {
  process.stderr.write('usage: node deflate_ws.js server CONFIG | client URL ID CONFIG\n');
  process.exit(2);
}

process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
