'use strict';

// A Node.js `ws` client for the interop tests.
//
//   node ws_client.js URL ID [PROTOCOL,PROTOCOL...]
//
// Connects to URL (offering the comma-separated subprotocols, if any),
// drives the connection with ws_driver.js under the given id, and exits once
// the connection has closed, or when stdin closes.

const WebSocket = require('ws');
const { MAX_PAYLOAD, emit, drive, exitWithStdin } = require('./ws_driver');

const [url, id, protocolList] = process.argv.slice(2);
if (!url || !id) {
  process.stderr.write('usage: node ws_client.js URL ID [PROTOCOLS]\n');
  process.exit(2);
}
const protocols = protocolList ? protocolList.split(',') : [];

const ws = new WebSocket(url, protocols, { maxPayload: MAX_PAYLOAD, handshakeTimeout: 10000 });
ws.on('open', () => {
  drive(ws, id, () => process.exit(0));
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

exitWithStdin();
