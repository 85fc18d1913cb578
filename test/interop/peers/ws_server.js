'use strict';

// A Node.js `ws` server for the interop tests.
//
//   node ws_server.js
//
// Listens on 127.0.0.1 on a free port and prints {"event":"listening",
// "port":N}. Each connection is driven by ws_driver.js; its id is the request
// path without the leading slash. Subprotocols are chosen by server
// preference: "superchat", then "chat". Exits when stdin closes.

const { WebSocketServer } = require('ws');
const { MAX_PAYLOAD, emit, drive, exitWithStdin } = require('./ws_driver');

const SERVER_PROTOCOLS = ['superchat', 'chat'];

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  maxPayload: MAX_PAYLOAD,
  handleProtocols: (offered) => {
    for (const p of SERVER_PROTOCOLS) {
      if (offered.has(p)) return p;
    }
    return false;
  },
});

wss.on('connection', (ws, req) => {
  drive(ws, req.url.replace(/^\//, ''));
});

wss.on('error', (err) => {
  emit({ event: 'error', id: '', message: String(err && err.message) });
  process.exit(1);
});

wss.on('listening', () => {
  emit({ event: 'listening', port: wss.address().port });
});

exitWithStdin();
