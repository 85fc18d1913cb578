#!/usr/bin/env bash
# Installs what the test suite needs on a Debian machine, as root:
#   - Debian's chromium and python3-websockets (for /usr/bin/python3),
#   - the Node.js peers of test/interop and the Node.js testees of bench/node
#     (npm ci from the committed locks),
#   - a Redis server on 127.0.0.1:6379 that keeps nothing on disk.
# Idempotent: each step runs only when its result is missing.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

log() { printf 'install-test-deps: %s\n' "$*" >&2; }

apt_updated=0
apt_install() {
	if [[ $apt_updated -eq 0 ]]; then
		log "apt-get update"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq
		apt_updated=1
	fi
	log "apt-get install $*"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Debian packages: Chromium for browser tests, websockets for /usr/bin/python3
# (python3 on PATH may be another interpreter without it).
packages=()
if ! [[ -x /usr/bin/chromium ]] ||
	! /usr/bin/python3 -c 'import websockets' >/dev/null 2>&1; then
	packages+=(chromium python3-websockets)
fi
if ! command -v node >/dev/null 2>&1; then
	packages+=(nodejs)
fi
if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
	packages+=(redis-server)
fi
if [[ ${#packages[@]} -gt 0 ]]; then
	apt_install "${packages[@]}"
fi
# Some nodejs builds bring npm along; Debian's own needs the npm package.
if ! command -v npm >/dev/null 2>&1; then
	apt_install npm
fi

# npm_ci DIR PACKAGE installs the npm packages of DIR from its lock, unless
# they are there already (PACKAGE among them) and newer than package.json
# and the lock.
npm_ci() {
	local dir="$1" pkg="$2"
	[[ -f "$dir/package.json" ]] || return 0
	local stamp="$dir/node_modules/.install-stamp" lock="$dir/package-lock.json"
	if [[ ! -f "$stamp" ]] || [[ ! -d "$dir/node_modules/$pkg" ]] ||
		[[ "$dir/package.json" -nt "$stamp" ]] ||
		{ [[ -f "$lock" ]] && [[ "$lock" -nt "$stamp" ]]; }; then
		if [[ -f "$lock" ]]; then
			log "npm ci in ${dir#"$repo_root"/}"
			(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
		else
			log "npm install in ${dir#"$repo_root"/}"
			(cd "$dir" && npm install --no-audit --no-fund --loglevel=error)
		fi
		touch "$stamp"
	fi
}

# Node.js peers, pinned by test/interop/package-lock.json, and the Node.js
# testees of the benchmarks (bench/node), which the bench tests run.
npm_ci "$repo_root/test/interop" ws
npm_ci "$repo_root/bench/node" socket.io

# Redis on 127.0.0.1:6379, in memory only.
if [[ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null || true)" != "PONG" ]]; then
	log "starting redis-server on 127.0.0.1:6379"
	redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
	for _ in $(seq 1 50); do
		[[ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null || true)" == "PONG" ]] && break
		sleep 0.1
	done
	if [[ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null || true)" != "PONG" ]]; then
		log "redis-server did not answer on 127.0.0.1:6379"
		exit 1
	fi
fi

log "ok"
