"""Shared behaviour of the Python `websockets` peers.

Written for the asyncio API of websockets 10.x (Debian bookworm ships 10.4);
it uses only what later releases keep under the same names
(websockets.serve, websockets.connect, the protocol object's send, ping,
close, wait_closed, close_code and close_reason).

A peer is a programmable echo endpoint. Every message it receives is sent
back unchanged with the same type, except text messages that are JSON
objects with a "cmd" field, which it runs:

  {"cmd":"send","type":"text"|"binary","size":N,"fragments":K}
      send the deterministic pattern of N bytes as one message split into K
      frames (K <= 1 sends a single unfragmented frame)
  {"cmd":"ping","data":"..."}
      send a ping; when the pong arrives, send the text {"pong":"..."}
  {"cmd":"close","code":C,"reason":"..."}
      start the closing handshake with that code and reason
  {"cmd":"send_invalid_text"}
      send a text message that is not valid UTF-8, written as a raw frame
      (send() only takes valid str), which the receiver must reject with
      1007

Events go to stdout, one JSON object per line:
  {"event":"open","id":...,"protocol":...,"extensions":...}
  {"event":"close","id":...,"code":...,"reason":...}
  {"event":"error","id":...,"message":...}
"""

import asyncio
import json
import os
import sys
import threading

import websockets

# The largest message the peers accept; the tests send up to 16 MiB.
MAX_SIZE = 64 << 20

# TEXT_UNIT mixes 1-, 2-, 3- and 4-byte UTF-8 sequences so that fragment
# boundaries fall inside characters. It is 26 bytes long.
TEXT_UNIT = "duplex \u00e9 \u00df \u20ac \u2713 \U0001d11e ".encode("utf-8")

# INVALID_UTF8 is "ok" followed by a lone continuation byte.
INVALID_UTF8 = b"ok\x80"
OP_TEXT = 0x1

_BINARY_BLOCK = bytes(range(251))
_patterns = {}


def pattern(kind, size):
    """Return the payload of `size` bytes that every peer and the Go tests
    agree on. binary: byte i is i % 251. text: TEXT_UNIT repeated, cut at the
    last character boundary at or before `size` and padded with '.'."""
    key = (kind, size)
    if key in _patterns:
        return _patterns[key]
    if kind == "binary":
        p = (_BINARY_BLOCK * (size // len(_BINARY_BLOCK) + 1))[:size]
    else:
        buf = TEXT_UNIT * (size // len(TEXT_UNIT) + 2)
        m = size
        while m > 0 and (buf[m] & 0xC0) == 0x80:
            m -= 1
        p = buf[:m] + b"." * (size - m)
    _patterns[key] = p
    return p


def emit(**fields):
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def _split(seq, k):
    return [seq[(i * len(seq)) // k : ((i + 1) * len(seq)) // k] for i in range(k)]


async def _send_pattern(ws, cmd):
    data = pattern(cmd["type"], cmd["size"])
    if cmd["type"] != "binary":
        # websockets sends str as text; fragments split between characters.
        data = data.decode("utf-8")
    k = max(1, int(cmd.get("fragments") or 1))
    if k == 1:
        await ws.send(data)
    else:
        # An iterable is sent as one fragmented message, a frame per item.
        await ws.send(_split(data, k))


async def _ping(ws, data):
    waiter = await ws.ping(data.encode("utf-8"))
    await waiter
    await ws.send(json.dumps({"pong": data}))


async def _run_command(ws, cmd, tasks):
    name = cmd.get("cmd")
    if name == "send":
        await _send_pattern(ws, cmd)
    elif name == "ping":
        # The pong is read by the connection's own reader; wait for it in a
        # task so that echoing goes on meanwhile.
        tasks.add(asyncio.ensure_future(_ping(ws, cmd.get("data", ""))))
    elif name == "close":
        await ws.close(cmd["code"], cmd.get("reason", ""))
    elif name == "send_invalid_text":
        await ws.write_frame(True, OP_TEXT, INVALID_UTF8)
    else:
        raise ValueError("unknown command %r" % (name,))


def _is_command(message):
    return isinstance(message, str) and message.startswith('{"cmd":')


async def drive(ws, conn_id):
    """Echo and run commands until the connection closes, then report it."""
    emit(
        event="open",
        id=conn_id,
        protocol=ws.subprotocol or "",
        extensions=", ".join(getattr(e, "name", str(e)) for e in ws.extensions),
    )
    tasks = set()
    try:
        async for message in ws:
            if _is_command(message):
                try:
                    await _run_command(ws, json.loads(message), tasks)
                except websockets.ConnectionClosed:
                    raise
                except Exception as err:  # report and keep serving
                    emit(event="error", id=conn_id, message=repr(err))
            else:
                await ws.send(message)
    except websockets.ConnectionClosed:
        pass
    await ws.wait_closed()
    for task in tasks:
        task.cancel()
    emit(event="close", id=conn_id, code=ws.close_code, reason=ws.close_reason or "")


def exit_with_stdin():
    """End the process when the test that started it goes away."""

    def watch():
        for _ in sys.stdin:
            pass
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()
