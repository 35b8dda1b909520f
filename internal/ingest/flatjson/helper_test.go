package flatjson_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/ingest"
	"khien.vn/khien/internal/ingest/flatjson"
)

// reference decodes a line the slow way, as jsonl.Line does.
func reference(line []byte) (map[string]string, error) {
	v, err := ingest.DecodeJSON(line)
	if err != nil {
		return nil, err
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, errors.New("not a JSON object")
	}
	out := map[string]string{}
	if err := ingest.Flatten(out, "", v); err != nil {
		return nil, err
	}
	return out, nil
}

// decode decodes line with d into a map (the last value of a key wins) and
// also returns every value reported for each key.
func decode(d *flatjson.Decoder, line []byte) (map[string]string, map[string][]string, error) {
	got := map[string]string{}
	all := map[string][]string{}
	err := d.Decode(line, func(k, v []byte) {
		got[string(k)] = string(v)
		all[string(k)] = append(all[string(k)], string(v))
	})
	return got, all, err
}

// checkAgainstReference fails t when d and the reference disagree on line.
func checkAgainstReference(t testing.TB, d *flatjson.Decoder, line []byte) {
	t.Helper()
	want, wantErr := reference(line)
	got, all, err := decode(d, line)
	if err != nil {
		var de *flatjson.DecodeError
		if !errors.As(err, &de) {
			t.Fatalf("%q: error %v is not a *DecodeError", line, err)
		}
	}
	if len(want) >= flatjson.MaxFields || len(got) >= flatjson.MaxFields {
		// Near the field limit the reference depends on map order.
		return
	}
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("%q: error %v, reference error %v", line, err, wantErr)
	}
	if err != nil {
		return
	}
	ambiguous := false
	for _, vs := range all {
		ambiguous = ambiguous || len(vs) > 1
	}
	if !ambiguous {
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%q: fields differ from the reference (-want +got):\n%s", line, diff)
		}
		return
	}
	// A dotted key equal to a nested one: the reference keeps one of the
	// values at random.
	for k, w := range want {
		if !slices.Contains(all[k], w) {
			t.Fatalf("%q: key %q: reference %q not among %q", line, k, w, all[k])
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Fatalf("%q: key %q not in the reference", line, k)
		}
	}
}
