"""A Python `websockets` peer with permessage-deflate for the compression
interop tests (compress_python_test.go).

    /usr/bin/python3 deflate_websockets.py server CONFIG
    /usr/bin/python3 deflate_websockets.py client URL ID CONFIG

CONFIG is JSON: null keeps the library's default compression (on, with its
own default parameters); an object is passed as keyword arguments to
ServerPerMessageDeflateFactory or ClientPerMessageDeflateFactory, which
then replaces the default. The server listens on 127.0.0.1 on a free port
and prints {"event":"listening","port":N}; a connection's id is its
request path without the leading slash. The client connects to URL under
the given id.

Each connection echoes every message with its type, except text messages
that are JSON objects with a "cmd" field:

  {"cmd":"fragment_next","fragments":K}
      echo the next message in K frames: send() with an iterable of K-1
      pieces, after which websockets adds an empty final frame
  {"cmd":"close","code":C,"reason":"..."}
      start the closing handshake

Events go to stdout, one JSON object per line:
  {"event":"open","id":...,"extensions":HEADER,"message":REPR}
      HEADER is the Sec-WebSocket-Extensions value of the handshake
      response (received by the client, sent by the server), REPR the
      negotiated extension objects as websockets shows them
  {"event":"close","id":...,"code":...,"reason":...}
  {"event":"error","id":...,"message":...}
The process exits when its stdin closes.

Written for the asyncio API of websockets 10.x (Debian bookworm ships
10.4).
"""

import asyncio
import json
import sys

import websockets
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)

from websockets_driver import MAX_SIZE, emit, exit_with_stdin


def _split(data, k):
    return [data[(i * len(data)) // k : ((i + 1) * len(data)) // k] for i in range(k)]


async def drive(ws, conn_id):
    """Echo and run commands until the connection closes, then report it."""
    emit(
        event="open",
        id=conn_id,
        extensions=ws.response_headers.get("Sec-WebSocket-Extensions", ""),
        message=", ".join(repr(e) for e in ws.extensions),
    )
    fragment_next = 0
    try:
        async for message in ws:
            if isinstance(message, str) and message.startswith('{"cmd":'):
                try:
                    cmd = json.loads(message)
                    if cmd.get("cmd") == "fragment_next":
                        fragment_next = max(1, int(cmd.get("fragments") or 1))
                    elif cmd.get("cmd") == "close":
                        await ws.close(cmd["code"], cmd.get("reason", ""))
                    else:
                        raise ValueError("unknown command %r" % (cmd.get("cmd"),))
                except websockets.ConnectionClosed:
                    raise
                except Exception as err:  # report and keep serving
                    emit(event="error", id=conn_id, message=repr(err))
                continue
            k, fragment_next = fragment_next, 0
            if k <= 1:
                await ws.send(message)
            else:
                await ws.send(_split(message, k - 1))
    except websockets.ConnectionClosed:
        pass
    await ws.wait_closed()
    emit(event="close", id=conn_id, code=ws.close_code, reason=ws.close_reason or "")


def _extension_options(config, factory):
    if config is None:
        return {}  # compression="deflate", the default
    return {"compression": None, "extensions": [factory(**config)]}


async def serve(config):
    async def handler(ws):
        await drive(ws, ws.path.lstrip("/"))

    async with websockets.serve(
        handler,
        "127.0.0.1",
        0,
        max_size=MAX_SIZE,
        **_extension_options(config, ServerPerMessageDeflateFactory),
    ) as server:
        emit(event="listening", port=server.sockets[0].getsockname()[1])
        await asyncio.Future()


async def connect(url, conn_id, config):
    try:
        ws = await websockets.connect(
            url,
            max_size=MAX_SIZE,
            open_timeout=10,
            **_extension_options(config, ClientPerMessageDeflateFactory),
        )
    except Exception as err:
        emit(event="error", id=conn_id, message=repr(err))
        return 1
    await drive(ws, conn_id)
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "server":
        exit_with_stdin()
        asyncio.run(serve(json.loads(args[1])))
    elif len(args) == 4 and args[0] == "client":
        exit_with_stdin()
        sys.exit(asyncio.run(connect(args[1], args[2], json.loads(args[3]))))
    else:
        sys.stderr.write("usage: deflate_websockets.py server CONFIG | client URL ID CONFIG\n")
        sys.exit(2)
