package pages

// Loads numbers the loads of one page, so that a reply is taken only by
// the page that asked for it, and only for its latest load. Counting alone
// would not do: a page made anew (the list after a logout and another
// login) counts from the start too, and would take the replies still on
// their way to the page it replaced. The zero Loads is ready to use.
type Loads struct {
	// page tells one page from another. It points to a byte: values of
	// no size may all share one address.
	page *byte
	n    int
}

// Load names one load: of which page, and which of its loads.
type Load struct {
	page *byte
	n    int
}

// Next starts a load; replies of the earlier ones are stale from now on.
func (l *Loads) Next() Load {
	if l.page == nil {
		l.page = new(byte)
	}
	l.n++
	return l.Current()
}

// Current is the latest load, which a further page of the same list is
// part of.
func (l Loads) Current() Load { return Load{l.page, l.n} }

// Latest reports whether x is the latest load of this page.
func (l Loads) Latest(x Load) bool { return x == l.Current() }
