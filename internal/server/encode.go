package server

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/orgd/orgd/rpc"
)

// encodeResult encodes a method's result exactly as json.Marshal does. The
// organizations of org.get and org.list are most of what orgd answers, and
// encoding/json spends more on reflecting over them and on their two times
// than the rest of such a request costs, so those are written by hand when
// their strings need no escaping (nearly always); anything else goes to
// json.Marshal.
func encodeResult(result any) ([]byte, error) {
	switch r := result.(type) {
	case rpc.Organization:
		if b, ok := appendOrganization(make([]byte, 0, 256), r); ok {
			return b, nil
		}
	case rpc.OrgList:
		if b, ok := appendOrgList(make([]byte, 0, 64+256*len(r.Items)), r); ok {
			return b, nil
		}
	}
	return json.Marshal(result)
}

func appendOrgList(b []byte, l rpc.OrgList) ([]byte, bool) {
	b = append(b, `{"items":`...)
	if l.Items == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, o := range l.Items {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendOrganization(b, o); !ok {
				return nil, false
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"next_cursor":`...)
	b, ok := appendPlainString(b, l.NextCursor)
	if !ok {
		return nil, false
	}
	b = append(b, `,"total":`...)
	b = strconv.AppendInt(b, int64(l.Total), 10)
	return append(b, '}'), true
}

func appendOrganization(b []byte, o rpc.Organization) ([]byte, bool) {
	ok := true
	field := func(name, value string) {
		if ok {
			b = append(b, name...)
			b, ok = appendPlainString(b, value)
		}
	}
	field(`{"id":`, o.ID)
	field(`,"name":`, o.Name)
	field(`,"slug":`, o.Slug)
	field(`,"collection":`, o.Collection)
	field(`,"admin_email":`, o.AdminEmail)
	if !ok {
		return nil, false
	}
	b = append(b, `,"admins":`...)
	if b, ok = appendPlainStrings(b, o.Admins); !ok {
		return nil, false
	}
	b = append(b, `,"members":`...)
	b = strconv.AppendInt(b, int64(o.Members), 10)
	b = append(b, `,"labels":`...)
	if b, ok = appendLabels(b, o.Labels); !ok {
		return nil, false
	}
	field(`,"state":`, o.State)
	if !ok {
		return nil, false
	}
	if o.SuspendedAt != nil {
		b = append(b, `,"suspended_at":`...)
		if b, ok = appendTime(b, *o.SuspendedAt); !ok {
			return nil, false
		}
	}
	if o.SuspendReason != "" {
		field(`,"suspend_reason":`, o.SuspendReason)
		if !ok {
			return nil, false
		}
	}
	b = append(b, `,"created_at":`...)
	if b, ok = appendTime(b, o.CreatedAt); !ok {
		return nil, false
	}
	b = append(b, `,"updated_at":`...)
	if b, ok = appendTime(b, o.UpdatedAt); !ok {
		return nil, false
	}
	return append(b, '}'), true
}

// appendPlainStrings appends ss as a JSON array (null when nil), when no
// string needs escaping.
func appendPlainStrings(b []byte, ss []string) ([]byte, bool) {
	if ss == nil {
		return append(b, "null"...), true
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		var ok bool
		if b, ok = appendPlainString(b, s); !ok {
			return nil, false
		}
	}
	return append(b, ']'), true
}

// appendLabels appends labels as json.Marshal does, keys sorted (null when
// nil), when no key or value needs escaping.
func appendLabels(b []byte, labels map[string]string) ([]byte, bool) {
	if labels == nil {
		return append(b, "null"...), true
	}
	keys := slices.Sorted(maps.Keys(labels))
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		var ok bool
		if b, ok = appendPlainString(b, k); !ok {
			return nil, false
		}
		b = append(b, ':')
		if b, ok = appendPlainString(b, labels[k]); !ok {
			return nil, false
		}
	}
	return append(b, '}'), true
}

// appendPlainString appends s quoted, when JSON needs nothing of it
// escaped: json.Marshal escapes control characters, quotes, backslashes,
// < > & (for HTML), U+2028 and U+2029, and replaces bytes that are not
// UTF-8.
func appendPlainString(b []byte, s string) ([]byte, bool) {
	ascii := true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	if !ascii && (!utf8.ValidString(s) || strings.ContainsRune(s, '\u2028') || strings.ContainsRune(s, '\u2029')) {
		return nil, false
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), true
}

// appendTime appends t as time.Time's MarshalJSON does, for the years it
// accepts.
func appendTime(b []byte, t time.Time) ([]byte, bool) {
	if y := t.Year(); y < 0 || y > 9999 {
		return nil, false
	}
	if _, offset := t.Zone(); offset%60 != 0 || offset <= -24*3600 || offset >= 24*3600 {
		return nil, false
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), true
}
