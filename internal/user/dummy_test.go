package user

import (
	"strings"
	"testing"
)

// The dummy hash must cost what a real one costs, or unknown users would answer faster.
func TestDummyHashParameters(t *testing.T) {
	real, err := HashPassword("x")
	if err != nil {
		t.Fatal(err)
	}
	prefix := func(h string) string { return strings.Join(strings.Split(h, "$")[:4], "$") }
	if prefix(dummyHash) != prefix(real) {
		t.Errorf("dummy hash parameters %s differ from HashPassword's %s", prefix(dummyHash), prefix(real))
	}
	if _, err := CheckPassword(dummyHash, "anything"); err != nil {
		t.Errorf("dummy hash does not parse: %v", err)
	}
}
