// Package packaging holds what installs and runs orgd on a Linux machine:
// the systemd units (systemd/), the sysusers.d and tmpfiles.d entries, the
// example environment file orgd.env, the nfpm configuration of the .deb
// and .rpm packages with their maintainer scripts (scripts/), and the
// container files (docker/). It has no Go code; its tests check those
// files with the real tools (systemd-analyze, systemd-socket-activate,
// dpkg) against an orgd built from this tree.
package packaging
