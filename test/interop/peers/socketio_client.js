'use strict';

// npm's socket.io-client, driven by the Go tests in socketio_test.go.
//
//   node socketio_client.js
//
// One process holds any number of client sockets, each named by the test
// ("a", "b", ...). Commands arrive on stdin, one JSON object per line:
//
//   {"cmd":"connect","id":ID,"url":URL,"opts":{...}}
//       io(URL, opts): URL ends with the namespace ("http://h:p/admin").
//       opts are socket.io-client's options (transports, auth, ...); by
//       default each socket gets a Manager of its own (forceNew) that
//       reconnects quickly. opts.quiet lists event names that are only
//       counted, not reported.
//   {"cmd":"connect","id":ID,"from":OTHER,"nsp":"/custom","opts":{...}}
//       OTHER's Manager opens the namespace too: both sockets share one
//       Engine.IO connection (multiplexing).
//   {"cmd":"emit","id":ID,"req":R,"name":EVENT,"args":[...],
//    "ack":"callback"|"promise"|"","timeout":MS,"volatile":BOOL}
//       socket.emit (socket.volatile, socket.timeout(MS)); with "promise",
//       socket.emitWithAck. The acknowledgement is reported as an "ack"
//       event with the same req.
//   {"cmd":"ack","ack":N,"args":[...]}  answer the event reported with ack N
//   {"cmd":"disconnect","id":ID}         socket.disconnect()
//   {"cmd":"counts","id":ID}             report the events received, by name
//
// Binary values travel in the JSON as {"$bin":"<base64>"}; what the client
// receives is reported as {"$bin":"<base64>","$type":"Buffer"} (or
// ArrayBuffer, Uint8Array...), so that the test sees which type it got.
//
// Events go to stdout, one JSON object per line, each with the socket's id:
//   {"event":"connect","id":ID,"sid":SOCKET_ID,"transport":NAME}
//   {"event":"connect_error","id":ID,"message":"...","data":...}
//   {"event":"disconnect","id":ID,"reason":"...","description":"..."}
//   {"event":"event","id":ID,"name":EVENT,"args":[...],"ack":N}  (N > 0: asks for an ack)
//   {"event":"ack","id":ID,"req":R,"args":[...]} or {...,"err":"..."}
//   {"event":"open"|"upgrade","id":ID,"transport":NAME}     the Engine.IO connection
//   {"event":"reconnect_attempt"|"reconnect","id":ID,"attempt":N}
//   {"event":"counts","id":ID,"counts":{EVENT:N}}
//   {"event":"error","id":ID,"message":"..."}
//
// When stdin ends, every socket disconnects and the process exits.

const readline = require('readline');
const { io } = require('socket.io-client');

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function encode(v) {
  if (Buffer.isBuffer(v)) return { $bin: v.toString('base64'), $type: 'Buffer' };
  if (v instanceof ArrayBuffer) return { $bin: Buffer.from(v).toString('base64'), $type: 'ArrayBuffer' };
  if (ArrayBuffer.isView(v)) {
    return { $bin: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64'), $type: v.constructor.name };
  }
  if (Array.isArray(v)) return v.map(encode);
  if (v && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v)) o[k] = encode(v[k]);
    return o;
  }
  return v === undefined ? null : v;
}

function decode(v) {
  if (Array.isArray(v)) return v.map(decode);
  if (v && typeof v === 'object') {
    if (typeof v.$bin === 'string') return Buffer.from(v.$bin, 'base64');
    const o = {};
    for (const k of Object.keys(v)) o[k] = decode(v[k]);
    return o;
  }
  return v;
}

const sockets = new Map(); // id -> {socket, counts, quiet}
const acks = new Map(); // N -> the acknowledgement callback of an event
let ackSeq = 0;

function watchManager(id, manager) {
  manager.on('open', () => {
    const engine = manager.engine;
    out({ event: 'open', id, transport: engine.transport.name });
    engine.on('upgrade', (t) => out({ event: 'upgrade', id, transport: t.name }));
  });
  manager.on('reconnect_attempt', (attempt) => out({ event: 'reconnect_attempt', id, attempt }));
  manager.on('reconnect', (attempt) => out({ event: 'reconnect', id, attempt }));
}

function connect(cmd) {
  const opts = Object.assign({}, cmd.opts || {});
  const quiet = new Set(opts.quiet || []);
  delete opts.quiet;
  let socket;
  if (cmd.from) {
    const other = sockets.get(cmd.from);
    if (!other) throw new Error('no socket ' + cmd.from);
    socket = other.socket.io.socket(cmd.nsp, opts);
    if (!socket.connected && !socket.active) socket.connect();
  } else {
    socket = io(cmd.url, Object.assign({
      forceNew: true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 300,
      randomizationFactor: 0,
      timeout: 5000,
    }, opts));
    watchManager(cmd.id, socket.io);
  }
  const id = cmd.id;
  const entry = { socket, counts: {}, quiet };
  sockets.set(id, entry);
  socket.on('connect', () => {
    const engine = socket.io.engine;
    out({ event: 'connect', id, sid: socket.id, transport: engine && engine.transport ? engine.transport.name : '' });
  });
  socket.on('connect_error', (err) => {
    out({ event: 'connect_error', id, message: String(err && err.message), data: err && err.data !== undefined ? err.data : null });
  });
  socket.on('disconnect', (reason, details) => {
    const d = details && (details.description || details.message || details.context);
    out({ event: 'disconnect', id, reason, description: d ? String(d) : '' });
  });
  socket.onAny((name, ...args) => {
    entry.counts[name] = (entry.counts[name] || 0) + 1;
    let ack = 0;
    if (args.length > 0 && typeof args[args.length - 1] === 'function') {
      ack = ++ackSeq;
      acks.set(ack, args.pop());
    }
    if (quiet.has(name)) return;
    out({ event: 'event', id, name, args: encode(args), ack });
  });
}

function emit(cmd) {
  const entry = sockets.get(cmd.id);
  if (!entry) throw new Error('no socket ' + cmd.id);
  let target = entry.socket;
  if (cmd.volatile) target = target.volatile;
  if (cmd.timeout) target = target.timeout(cmd.timeout);
  const args = decode(cmd.args || []);
  const report = (fields) => out(Object.assign({ event: 'ack', id: cmd.id, req: cmd.req }, fields));
  switch (cmd.ack || '') {
    case '':
      target.emit(cmd.name, ...args);
      break;
    case 'callback':
      if (cmd.timeout) {
        target.emit(cmd.name, ...args, (err, ...res) => {
          report(err ? { err: String(err.message || err) } : { args: encode(res) });
        });
      } else {
        target.emit(cmd.name, ...args, (...res) => report({ args: encode(res) }));
      }
      break;
    case 'promise':
      target.emitWithAck(cmd.name, ...args).then(
        (res) => report({ args: encode([res]) }),
        (err) => report({ err: String((err && err.message) || err) }),
      );
      break;
    default:
      throw new Error('unknown ack mode ' + cmd.ack);
  }
}

function run(cmd) {
  switch (cmd.cmd) {
    case 'connect':
      connect(cmd);
      break;
    case 'emit':
      emit(cmd);
      break;
    case 'ack': {
      const fn = acks.get(cmd.ack);
      if (!fn) throw new Error('no acknowledgement ' + cmd.ack);
      acks.delete(cmd.ack);
      fn(...decode(cmd.args || []));
      break;
    }
    case 'disconnect': {
      const entry = sockets.get(cmd.id);
      if (!entry) throw new Error('no socket ' + cmd.id);
      entry.socket.disconnect();
      break;
    }
    case 'counts': {
      const entry = sockets.get(cmd.id);
      if (!entry) throw new Error('no socket ' + cmd.id);
      out({ event: 'counts', id: cmd.id, counts: entry.counts });
      break;
    }
    default:
      throw new Error('unknown command');
  }
}

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  let cmd;
  try {
    cmd = JSON.parse(line);
    run(cmd);
  } catch (err) {
    out({ event: 'error', id: (cmd && cmd.id) || '', message: String(err && err.message) + ': ' + line });
  }
});
lines.on('close', () => {
  for (const { socket } of sockets.values()) socket.disconnect();
  // Let the DISCONNECT packets and close frames go out.
  setTimeout(() => process.exit(0), 100);
});
