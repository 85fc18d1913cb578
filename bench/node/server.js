'use strict';
// The Node.js ws testee of the whole-server benchmark (see
// bench/internal/testee for the contract): `node server.js --port PORT`.
//
// It follows the ws README: one http server, a WebSocketServer per path
// in noServer mode, no compression (the server's default); /echo sends
// every message back, /broadcast sends it to every open client of
// wss.clients, as the README's broadcast example does. A client with
// more than QUEUE_LIMIT bytes waiting in its socket is closed with 1008.

const http = require('http');
const { WebSocketServer, WebSocket } = require('ws');

const READ_LIMIT = 16 << 20;
const QUEUE_LIMIT = 1 << 20;

function parsePort(argv) {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port' || a === '-port') return Number(argv[i + 1]);
    if (a.startsWith('--port=')) return Number(a.slice(7));
  }
  return NaN;
}

const port = parsePort(process.argv.slice(2));
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  process.stderr.write('usage: server.js --port PORT\n');
  process.exit(2);
}

const options = { noServer: true, maxPayload: READ_LIMIT, perMessageDeflate: false };
const echo = new WebSocketServer({ ...options, clientTracking: false });
const broadcast = new WebSocketServer(options);

echo.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    ws.send(data, { binary: isBinary });
  });
});

broadcast.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    for (const client of broadcast.clients) {
      if (client.readyState !== WebSocket.OPEN) continue;
      if (client.bufferedAmount > QUEUE_LIMIT) {
        client.close(1008, 'too slow');
        continue;
      }
      client.send(data, { binary: isBinary });
    }
  });
});

const server = http.createServer((req, res) => {
  res.writeHead(404);
  res.end();
});

server.on('upgrade', (req, socket, head) => {
  const { pathname } = new URL(req.url, 'http://localhost');
  const wss = pathname === '/echo' ? echo : pathname === '/broadcast' ? broadcast : null;
  if (wss === null) {
    socket.destroy();
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    wss.emit('connection', ws, req);
  });
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`PID ${process.pid}\n`);
});
