#!/bin/sh
# After orgd's files are in place: create its directories, and tell systemd
# about the new units. orgd is not started or enabled here; that is the
# administrator's call (systemctl enable --now orgd.socket). On an upgrade,
# a running orgd is restarted on the new binary.
# deb: postinst configure [OLD-VERSION]; rpm: %post 1 (install) | 2 (upgrade).
set -e

upgrade=
case "$1" in
configure) [ -n "$2" ] && upgrade=yes ;;
2) upgrade=yes ;;
esac

if command -v systemd-tmpfiles >/dev/null 2>&1; then
	systemd-tmpfiles --create /usr/lib/tmpfiles.d/orgd.conf || true
fi

if command -v systemctl >/dev/null 2>&1; then
	# Fails harmlessly where systemd is not running (containers, chroots).
	systemctl daemon-reload >/dev/null 2>&1 || true
	if [ -n "$upgrade" ]; then
		systemctl try-restart orgd.service >/dev/null 2>&1 || true
	fi
fi
