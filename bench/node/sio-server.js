'use strict';
// The Node.js socket.io testee of the Socket.IO benchmark (see
// bench/cmd/siobench for the contract): `node sio-server.js --port PORT`.
//
// It is the socket.io documentation's server, on an http server of its
// own at 127.0.0.1:PORT, path /socket.io/, with the defaults otherwise
// (no compression, WebSocket and polling transports). Every socket of
// the main namespace joins the room "bench"; "echo" is acknowledged with
// the arguments it came with, and "broadcast" goes to the whole room,
// sender included, as "broadcast-back".

const http = require('http');
const { Server } = require('socket.io');

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
  process.stderr.write('usage: sio-server.js --port PORT\n');
  process.exit(2);
}

const server = http.createServer();
// perMessageDeflate is off by default in socket.io 4; say so, as the
// benchmark compares uncompressed frames.
const io = new Server(server, { perMessageDeflate: false });

io.on('connection', (socket) => {
  socket.join('bench');
  socket.on('echo', (...args) => {
    const ack = args.pop();
    if (typeof ack === 'function') ack(...args);
  });
  socket.on('broadcast', (...args) => {
    io.to('bench').emit('broadcast-back', ...args);
  });
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`PID ${process.pid}\n`);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => process.exit(0));
}
