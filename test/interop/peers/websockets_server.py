"""A Python `websockets` server for the interop tests.

    /usr/bin/python3 websockets_server.py

Listens on 127.0.0.1 on a free port and prints {"event":"listening",
"port":N}. Each connection is driven by websockets_driver.py; its id is the
request path without the leading slash. Subprotocols are chosen by server
preference: "superchat", then "chat". Exits when stdin closes.
"""

import asyncio

import websockets

from websockets_driver import MAX_SIZE, drive, emit, exit_with_stdin

SERVER_PROTOCOLS = ["superchat", "chat"]


def prefer_server(client_protocols, server_protocols):
    for p in server_protocols:
        if p in client_protocols:
            return p
    return None


async def handler(ws):
    await drive(ws, ws.path.lstrip("/"))


async def main():
    async with websockets.serve(
        handler,
        "127.0.0.1",
        0,
        subprotocols=SERVER_PROTOCOLS,
        select_subprotocol=prefer_server,
        max_size=MAX_SIZE,
    ) as server:
        emit(event="listening", port=server.sockets[0].getsockname()[1])
        await asyncio.Future()


if __name__ == "__main__":
    exit_with_stdin()
    asyncio.run(main())
