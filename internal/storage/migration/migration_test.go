package migration_test

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"khien.vn/khien/internal/storage/migration"
)

func TestLoad(t *testing.T) {
	sql := &fstest.MapFile{Data: []byte("CREATE TABLE t (id INTEGER);")}
	for _, c := range []struct {
		name    string
		files   fstest.MapFS
		want    []int
		wantErr string
	}{
		{"ordered", fstest.MapFS{"m/0002_b.sql": sql, "m/0001_a.sql": sql, "m/README.md": sql}, []int{1, 2}, ""},
		{"gap", fstest.MapFS{"m/0001_a.sql": sql, "m/0003_c.sql": sql}, nil, "expected version 2"},
		{"duplicate", fstest.MapFS{"m/0001_a.sql": sql, "m/001_b.sql": sql}, nil, "expected version 2"},
		{"not_from_one", fstest.MapFS{"m/0002_b.sql": sql}, nil, "expected version 1"},
		{"bad_name", fstest.MapFS{"m/init.sql": sql}, nil, "NNNN_description.sql"},
		{"zero", fstest.MapFS{"m/0000_a.sql": sql}, nil, "NNNN_description.sql"},
		{"empty_file", fstest.MapFS{"m/0001_a.sql": &fstest.MapFile{Data: []byte(" \n")}}, nil, "is empty"},
		{"none", fstest.MapFS{"m/README.md": sql}, nil, "no migrations"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ms, err := migration.Load(c.files, "m")
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("Load = %v, want an error containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, m := range ms {
				got = append(got, m.Version)
			}
			if len(got) != len(c.want) || migration.Latest(ms) != c.want[len(c.want)-1] {
				t.Fatalf("versions %v, want %v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Fatalf("versions %v, want %v", got, c.want)
				}
			}
		})
	}
}

func TestCheck(t *testing.T) {
	var behind *migration.BehindError
	if err := migration.Check(1, 3); !errors.As(err, &behind) || !strings.Contains(err.Error(), "khien migrate") {
		t.Errorf("Check(1, 3) = %v, want a BehindError naming khien migrate", err)
	}
	var ahead *migration.AheadError
	if err := migration.Check(4, 3); !errors.As(err, &ahead) {
		t.Errorf("Check(4, 3) = %v, want an AheadError", err)
	}
	if err := migration.Check(3, 3); err != nil {
		t.Errorf("Check(3, 3) = %v, want nil", err)
	}
}
