package pages

// AppendPage adds the items of a further page to those already shown,
// leaving out any already there (by id): an item moved while the list was
// paged may come twice.
func AppendPage[T any](shown, page []T, id func(T) string) []T {
	have := make(map[string]bool, len(shown))
	for _, it := range shown {
		have[id(it)] = true
	}
	for _, it := range page {
		if !have[id(it)] {
			shown = append(shown, it)
			have[id(it)] = true
		}
	}
	return shown
}
