#!/usr/bin/env bash
# Starts orgd on the embedded store under ./.orgd/ (socket ./.orgd/orgd.sock),
# opens orgtui on it, and stops that orgd when orgtui exits, however it exits.
# Usage: scripts/run.sh [BIN_DIR]   (make run builds first, then calls this)
set -euo pipefail

bin=${1:-bin}
dir=.orgd
sock=$dir/orgd.sock
addr=unix://$sock # relative: a socket path must stay under 108 bytes

mkdir -p "$dir"
"$bin/orgd" serve --data-dir "$dir" --listen "$addr" >>"$dir/orgd.log" 2>&1 &
pid=$!

stop() {
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Wait until orgd answers (it may take a few seconds to open the store).
for _ in $(seq 1 150); do
	if "$bin/orgd" call --addr "$addr" system.health >/dev/null 2>&1; then
		break
	fi
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "orgd did not start; its log is $dir/orgd.log:" >&2
		tail -n 20 "$dir/orgd.log" >&2
		exit 1
	fi
	sleep 0.1
done

"$bin/orgtui" --addr "$addr"
