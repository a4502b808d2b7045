package mongo_test

import (
	"regexp"
	"testing"
	"unicode/utf8"

	"github.com/orgd/orgd/internal/mongo"
)

// tenantDatabaseRule is the rule IsTenantDatabase keeps, written as a
// regular expression to check it against.
func tenantDatabaseRule(main string) *regexp.Regexp {
	return regexp.MustCompile(`^` + regexp.QuoteMeta(main) + `_t[0-9]{4,}$`)
}

func TestIsTenantDatabase(t *testing.T) {
	for _, tt := range []struct {
		main, name string
		want       bool
	}{
		{"orgd", "orgd_t0001", true},
		{"orgd", "orgd_t12345", true},
		{"orgd", mongo.TenantDatabaseName("orgd", 7), true},
		{"orgd", "orgd", false},
		{"orgd", "orgd_t", false},
		{"orgd", "orgd_t001", false},
		{"orgd", "orgd_t000a", false},
		{"orgd", "orgd_x0001", false},
		{"orgd", "other_t0001", false},
		{"orgd", "orgd_t0001_t0001", false},
		{"orgd_t0001", "orgd_t0001_t0002", true},
		{"a.b", "a.b_t0001", true},
		{"a.b", "axb_t0001", false},
	} {
		if got := mongo.IsTenantDatabase(tt.main, tt.name); got != tt.want {
			t.Errorf("IsTenantDatabase(%q, %q) = %v, want %v", tt.main, tt.name, got, tt.want)
		}
	}
}

func TestIsTenantDatabaseAllocatesNothing(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { mongo.IsTenantDatabase("orgd", "orgd_t0001") }); n != 0 {
		t.Errorf("IsTenantDatabase allocates %v times a call, want none", n)
	}
}

func FuzzIsTenantDatabase(f *testing.F) {
	f.Add("orgd", "orgd_t0001")
	f.Add("orgd", "orgd_t")
	f.Add("a.b", "axb_t0001")
	f.Add("orgd", "orgd_t١٢٣٤")
	f.Fuzz(func(t *testing.T, main, name string) {
		// Database names are UTF-8, as the rule's regular expression must be.
		if !utf8.ValidString(main) || !utf8.ValidString(name) {
			t.Skip()
		}
		if got, want := mongo.IsTenantDatabase(main, name), tenantDatabaseRule(main).MatchString(name); got != want {
			t.Errorf("IsTenantDatabase(%q, %q) = %v, the rule says %v", main, name, got, want)
		}
	})
}
