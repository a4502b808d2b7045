package keymap

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
)

// orgtui reads an alt+key that it does not bind as Escape followed by the
// key (a terminal sends both alike): that holds only while it binds none.
func TestNoBindingIsAnAltKey(t *testing.T) {
	t.Parallel()
	km := Default()
	v := reflect.ValueOf(km)
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		b, ok := v.Field(i).Interface().(key.Binding)
		if !ok || name == "TextAlt" {
			continue
		}
		for _, k := range b.Keys() {
			if strings.Contains(k, "alt+") {
				t.Errorf("%s binds %s", name, k)
			}
		}
	}
}

func TestTextAltHoldsTheTextInputsWordKeys(t *testing.T) {
	t.Parallel()
	keys := Default().TextAlt.Keys()
	for _, k := range []string{"alt+b", "alt+f", "alt+d", "alt+left", "alt+right", "alt+backspace"} {
		if !slices.Contains(keys, k) {
			t.Errorf("TextAlt lacks %s: %v", k, keys)
		}
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, "alt+") {
			t.Errorf("TextAlt holds %s, which is not an alt key", k)
		}
	}
}
