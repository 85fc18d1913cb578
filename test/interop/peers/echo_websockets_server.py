"""A Python `websockets` echo server for the tests of `duplex connect`
(connect_test.go).

    /usr/bin/python3 echo_websockets_server.py

Listens on 127.0.0.1 on a free port and prints {"event":"listening",
"port":N}. On each connection it first sends a text message, a JSON object
describing the handshake it saw:
    {"path": request path and query, "protocol": chosen subprotocol,
     "origin": Origin header, "header": X-Duplex-Test header}
then echoes every message with its type, except a text message
"close CODE REASON", which makes it close with that code and reason. The
only subprotocol it speaks is "chat". Exits when stdin closes.
"""

import asyncio
import json
import re
import sys
import threading

import websockets

CLOSE_COMMAND = re.compile(r"close (\d+) ?(.*)", re.DOTALL)


async def handler(ws):
    await ws.send(json.dumps({
        "path": ws.path,
        "protocol": ws.subprotocol or "",
        "origin": ws.request_headers.get("Origin", ""),
        "header": ws.request_headers.get("X-Duplex-Test", ""),
    }))
    async for message in ws:
        if isinstance(message, str):
            m = CLOSE_COMMAND.fullmatch(message)
            if m:
                await ws.close(int(m.group(1)), m.group(2))
                return
        await ws.send(message)


def stop_when_stdin_closes(loop, stop):
    def wait():
        sys.stdin.read()
        loop.call_soon_threadsafe(stop.set_result, None)
    threading.Thread(target=wait, daemon=True).start()


async def main():
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    stop_when_stdin_closes(loop, stop)
    async with websockets.serve(handler, "127.0.0.1", 0, subprotocols=["chat"], max_size=1 << 20) as server:
        port = server.sockets[0].getsockname()[1]
        print(json.dumps({"event": "listening", "port": port}), flush=True)
        await stop


if __name__ == "__main__":
    asyncio.run(main())
