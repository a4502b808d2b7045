package pages

import "testing"

func TestLoadsTakeOnlyTheirOwnLatestReply(t *testing.T) {
	var old, page Loads
	stale := old.Next()
	first := page.Next()
	if first == stale {
		t.Fatal("the first loads of two pages are the same load")
	}
	if !page.Latest(first) || page.Latest(stale) {
		t.Errorf("a page's latest load is %v, its own first: %v, the other page's first: %v", page.Current(), page.Latest(first), page.Latest(stale))
	}
	// A copy of the page, as Bubble Tea passes models, is the same page.
	copied := page
	second := copied.Next()
	if copied.Latest(first) || !copied.Latest(second) || copied.Current() != second {
		t.Errorf("after a second load, the first is still taken (%v) or the second not (%v)", copied.Latest(first), copied.Latest(second))
	}
	var zero Loads
	if zero.Latest(first) || zero.Latest(stale) {
		t.Error("a page that loaded nothing takes another page's reply")
	}
}
