'use strict';

// A Node.js `ws` echo server for the tests of `duplex connect`
// (connect_test.go).
//
//   node echo_ws_server.js
//
// Listens on 127.0.0.1 on a free port and prints {"event":"listening",
// "port":N}. On each connection it first sends a text message, a JSON
// object describing the handshake it saw:
//   {"path": request path and query, "protocol": chosen subprotocol,
//    "origin": Origin header, "header": X-Duplex-Test header}
// then echoes every message with its type, except a text message
// "close CODE REASON", which makes it close with that code and reason.
// The only subprotocol it speaks is "chat". Exits when stdin closes.

const { WebSocketServer } = require('ws');

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  maxPayload: 1 << 20,
  handleProtocols: (offered) => (offered.has('chat') ? 'chat' : false),
});

wss.on('connection', (ws, req) => {
  ws.send(JSON.stringify({
    path: req.url,
    protocol: ws.protocol,
    origin: req.headers.origin || '',
    header: req.headers['x-duplex-test'] || '',
  }));
  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      const m = /^close (\d+) ?(.*)$/s.exec(data.toString('utf8'));
      if (m) {
        ws.close(Number(m[1]), m[2]);
        return;
      }
    }
    ws.send(data, { binary: isBinary });
  });
  ws.on('error', (err) => process.stderr.write('connection error: ' + err.message + '\n'));
});

wss.on('error', (err) => {
  process.stderr.write('server error: ' + err.message + '\n');
  process.exit(1);
});

wss.on('listening', () => {
  process.stdout.write(JSON.stringify({ event: 'listening', port: wss.address().port }) + '\n');
});

// The test closes stdin to stop the server.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
