'use strict';

// An npm engine.io-client (the transport of socket.io-client v4) driven by
// the Go tests in engineio_test.go.
//
//   node engineio_client.js URL [TRANSPORTS]
//
// connects to the Engine.IO server at URL (path /engine.io/) with the
// comma-separated TRANSPORTS, or the client's defaults (polling, then an
// upgrade to websocket) when none are given.
//
// Commands arrive on stdin, one JSON object per line:
//   {"cmd":"send","text":"..."}       send a text message
//   {"cmd":"send","binary":"<base64>"} send a binary message (a Buffer)
//   {"cmd":"close"}                    close the socket
// The process exits when stdin ends.
//
// Events go to stdout, one JSON object per line:
//   {"event":"open","id":SID,"transport":NAME}
//   {"event":"upgrade","transport":NAME}
//   {"event":"message","text":"..."} or {"event":"message","binary":"<base64>"}
//   {"event":"ping"}
//   {"event":"close","reason":"...","description":"..."}
//   {"event":"error","message":"..."}

const readline = require('readline');
const { Socket } = require('engine.io-client');

const [url, transports] = process.argv.slice(2);

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

const opts = { path: '/engine.io/' };
if (transports) opts.transports = transports.split(',');
const socket = new Socket(url, opts);

socket.on('open', () => emit({ event: 'open', id: socket.id, transport: socket.transport.name }));
socket.on('upgrade', (transport) => emit({ event: 'upgrade', transport: transport.name }));
socket.on('upgradeError', (err) => emit({ event: 'error', message: 'upgrade: ' + err.message }));
socket.on('ping', () => emit({ event: 'ping' }));
socket.on('message', (data) => {
  if (data === undefined) {
    emit({ event: 'message', text: '' }); // an empty text message ("4")
  } else if (typeof data === 'string') {
    emit({ event: 'message', text: data });
  } else {
    emit({ event: 'message', binary: Buffer.from(data).toString('base64') });
  }
});
socket.on('close', (reason, details) => {
  const description = details && (details.description || details.message || details.context);
  emit({ event: 'close', reason, description: description ? String(description) : '' });
});
socket.on('error', (err) => emit({ event: 'error', message: String((err && err.message) || err) }));

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch (err) {
    emit({ event: 'error', message: 'bad command: ' + line });
    return;
  }
  switch (cmd.cmd) {
    case 'send':
      socket.send(cmd.binary !== undefined ? Buffer.from(cmd.binary, 'base64') : cmd.text);
      break;
    case 'close':
      socket.close();
      break;
    default:
      emit({ event: 'error', message: 'unknown command: ' + line });
  }
});
lines.on('close', () => process.exit(0));
