"""A Python `websockets` client for the interop tests.

    /usr/bin/python3 websockets_client.py URL ID [PROTOCOL,PROTOCOL...]

Connects to URL (offering the comma-separated subprotocols, if any), drives
the connection with websockets_driver.py under the given id, and exits once
the connection has closed, or when stdin closes.
"""

import asyncio
import sys

import websockets

from websockets_driver import MAX_SIZE, drive, emit, exit_with_stdin


async def main(url, conn_id, protocols):
    try:
        ws = await websockets.connect(
            url,
            subprotocols=protocols or None,
            max_size=MAX_SIZE,
            open_timeout=10,
        )
    except Exception as err:
        emit(event="error", id=conn_id, message=repr(err))
        return 1
    await drive(ws, conn_id)
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.stderr.write("usage: websockets_client.py URL ID [PROTOCOLS]\n")
        sys.exit(2)
    exit_with_stdin()
    protocols = sys.argv[3].split(",") if len(sys.argv) > 3 and sys.argv[3] else []
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2], protocols)))
