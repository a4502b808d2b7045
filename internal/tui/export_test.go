package tui

// Busy reports whether m has calls to orgd under way, for the tests of
// package tui_test, whose driver waits for them.
func Busy(m Model) func() bool { return m.orgd.Busy }
