#!/bin/sh
# After orgd's files are removed: tell systemd the units are gone. The data
# in /var/lib/orgd and the user orgd are kept, also on purge: organizations
# are not deleted by uninstalling a package. Remove them by hand if wanted.
# deb: postrm remove|purge|upgrade|…; rpm: %postun 0 (erase) | 1 (upgrade).
set -e

if command -v systemctl >/dev/null 2>&1; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
