package pages

import (
	"slices"
	"testing"
)

func TestAppendPageLeavesOutWhatIsShown(t *testing.T) {
	id := func(s string) string { return s }
	got := AppendPage([]string{"a", "b"}, []string{"b", "c", "c", "d"}, id)
	if want := []string{"a", "b", "c", "d"}; !slices.Equal(got, want) {
		t.Errorf("AppendPage = %v, want %v", got, want)
	}
	if got := AppendPage(nil, []string{"x"}, id); !slices.Equal(got, []string{"x"}) {
		t.Errorf("AppendPage to nothing = %v", got)
	}
}
