package oscal_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/oscal"
)

// maxSeed is the largest testdata file used as a fuzz seed.
const maxSeed = 64 << 10

// FuzzParseCatalog feeds arbitrary documents to ParseCatalog and
// Framework: they must not panic, must fail only with ErrInvalid, and an
// accepted catalog must give a framework with unique control ids.
func FuzzParseCatalog(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		// The golden catalogs of the whole pack (about 250 KB) make the
		// fuzzer spend its time minimising; khien-excerpt.json stands in
		// for them.
		if len(data) > maxSeed {
			continue
		}
		f.Add(data)
	}
	f.Add([]byte(catalogDoc(`"groups":[{"title":"G","groups":[{"title":"H","controls":[{"id":"a","title":"A","controls":[{"id":"b","title":"B"}]}]}]}]`)))
	f.Add([]byte(catalogDoc(`"controls":[{"id":"a","title":"A","props":[{"name":"min-level","ns":"https://khien.vn/ns/oscal","value":"2"}],"parts":[{"name":"statement","prose":"{{ insert: param, p }}"}]}],"params":[{"id":"p","select":{"choice":["{{ insert: param, p }}"]}}]`)))
	f.Add([]byte(`{"catalog":{}}`))
	f.Add([]byte(`[]`))

	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := oscal.ParseCatalog(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("ParseCatalog error is not ErrInvalid: %v", err)
			}
			return
		}
		fw, err := c.Framework()
		if err != nil {
			if !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("Framework error is not ErrInvalid: %v", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, ctl := range fw.Controls {
			if seen[ctl.ID] {
				t.Fatalf("control %q twice in the framework", ctl.ID)
			}
			seen[ctl.ID] = true
		}
		for _, g := range fw.Groups {
			if g.ID == "" {
				t.Fatal("group without id in the framework")
			}
		}
	})
}
