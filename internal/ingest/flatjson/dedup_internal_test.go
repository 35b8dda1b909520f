package flatjson

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestResetTable_wrap checks that the table of keys of large objects
// forgets the slots of earlier documents when its generation wraps.
func TestResetTable_wrap(t *testing.T) {
	object := func(keys []int) []byte {
		var b strings.Builder
		b.WriteString("{")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"k%d":%d`, k, k)
		}
		return []byte(b.String() + "}")
	}
	var up, down []int
	for i := range 2 * smallObject {
		up = append(up, i)
		down = append(down, 2*smallObject-1-i)
	}
	var d Decoder
	for _, line := range [][]byte{object(up), object(down)} {
		got := map[string]string{}
		if err := d.Decode(line, func(k, v []byte) { got[string(k)] = string(v) }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 2*smallObject {
			t.Errorf("generation %d: %d fields, want %d", d.gen, len(got), 2*smallObject)
		}
		if d.used == 0 {
			t.Fatalf("the table was not used")
		}
		d.gen = math.MaxUint32 // the next document wraps to the slots' generation
	}
}
