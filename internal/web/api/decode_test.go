package api_test

import (
	"errors"
	"strings"
	"testing"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/user"
	"khien.vn/khien/internal/web/api"
)

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		ok         bool
	}{
		{"valid", `{"username":"a","role":"viewer","unit_id":3}`, true},
		{"unknown_field", `{"username":"a","is_admin":true}`, false},
		{"wrong_type", `{"unit_id":"three"}`, false},
		{"trailing", `{"username":"a"} {"username":"b"}`, false},
		{"syntax", `{"username":`, false},
		{"empty", ``, false},
		{"too_large", `{"display_name":"` + strings.Repeat("x", 1<<20) + `"}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var in user.NewUser
			err := api.Decode(strings.NewReader(tc.body), &in)
			if (err == nil) != tc.ok {
				t.Fatalf("Decode = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, errs.ErrInvalid) {
				t.Errorf("error %v is not ErrInvalid", err)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(`{"username":"a","role":"viewer","unit_id":3,"unit_ids":[1,2]}`)
	f.Add(`{"disabled":true,"unit_ids":null}`)
	f.Fuzz(func(t *testing.T, body string) {
		var in user.NewUser
		if err := api.Decode(strings.NewReader(body), &in); err != nil && !errors.Is(err, errs.ErrInvalid) {
			t.Fatalf("Decode(%q) = %v: not ErrInvalid", body, err)
		}
		var pt user.Patch
		_ = api.Decode(strings.NewReader(body), &pt)
	})
}
