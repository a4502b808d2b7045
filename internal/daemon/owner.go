package daemon

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// checkDataDirOwner refuses to let root use a data directory that belongs
// to another user, typically orgd.service's user orgd. Files root would
// create there (the embedded store's first files, its lock, jwt.key) would
// belong to root and lock the owner out: orgd.service would then fail to
// start. Running the command as the owner (runuser -u orgd -- orgd …)
// avoids that.
func checkDataDirOwner(dataDir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	fi, err := os.Stat(dataDir)
	if err != nil {
		return nil // missing: root creates it, for root
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Uid == 0 {
		return nil
	}
	name := strconv.FormatUint(uint64(st.Uid), 10)
	if u, err := user.LookupId(name); err == nil {
		name = u.Username
	}
	return fmt.Errorf("data directory %s belongs to user %s; files root made there would lock %s out: run this as %s (runuser -u %s -- orgd …)",
		dataDir, name, name, name, name)
}
