#!/bin/sh
# The node testee of the Socket.IO benchmark; make bench-build installs
# this script as bench/bin/sio-node. exec keeps the PID that
# sio-server.js prints.
dir="$(cd "$(dirname "$0")/../node" && pwd)"
exec node "$dir/sio-server.js" "$@"
