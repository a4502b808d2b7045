#!/bin/sh
# Before orgd's files are removed (not on an upgrade): stop and disable it.
# deb: prerm remove|upgrade|…; rpm: %preun 0 (erase) | 1 (upgrade).
set -e

case "$1" in
remove | 0)
	if command -v systemctl >/dev/null 2>&1; then
		systemctl --no-reload disable --now orgd.socket orgd.service >/dev/null 2>&1 || true
	fi
	;;
esac
