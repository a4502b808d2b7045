#!/bin/sh
# Before orgd's files are unpacked: create the system user and group orgd,
# which own /etc/orgd, /run/orgd and /var/lib/orgd.
# deb: preinst install|upgrade; rpm: %pre 1|2.
set -e

# The same line as /usr/lib/sysusers.d/orgd.conf, which is not unpacked yet.
sysusers='u orgd - "orgd organization daemon" /var/lib/orgd'

if command -v systemd-sysusers >/dev/null 2>&1; then
	printf '%s\n' "$sysusers" | systemd-sysusers --replace=/usr/lib/sysusers.d/orgd.conf -
else
	if ! getent group orgd >/dev/null; then
		groupadd --system orgd
	fi
	if ! getent passwd orgd >/dev/null; then
		useradd --system --gid orgd --home-dir /var/lib/orgd --no-create-home \
			--shell /usr/sbin/nologin --comment "orgd organization daemon" orgd
	fi
fi
