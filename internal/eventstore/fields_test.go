package eventstore_test

import (
	"testing"

	"khien.vn/khien/internal/eventstore"
)

func TestReservedFieldName(t *testing.T) {
	for name, want := range map[string]bool{
		"": true, "_msg": true, "_time": true, "_stream": true, "_stream_id": true,
		"khien.unit": true, "khien.anything": true,
		"_other": false, "khienx": false, "host.name": false, "message": false, "k": false,
	} {
		if got := eventstore.ReservedFieldName(name); got != want {
			t.Errorf("ReservedFieldName(%q) = %v, want %v", name, got, want)
		}
	}
}
