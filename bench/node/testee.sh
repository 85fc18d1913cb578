#!/bin/sh
# The node testee of the whole-server benchmark; make bench-build installs
# this script as bench/bin/node. exec keeps the PID that server.js prints.
dir="$(cd "$(dirname "$0")/../node" && pwd)"
exec node "$dir/server.js" "$@"
