package secret_test

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"text/template"

	"khien.vn/khien/internal/secret"
)

const leak = "hunter2-Sup3r"

// repo is a struct as a caller would hold it: a credential among ordinary
// fields, exported and not.
type repo struct {
	ID       int
	URL      string
	Password secret.Value
	key      secret.Value
	Keys     []secret.Value
	ByName   map[string]secret.Value
	Ptr      *secret.Value
}

func newRepo() repo {
	v := secret.NewValue(leak)
	return repo{
		ID: 42, URL: "s3:s3.example.com/backups",
		Password: v, key: v,
		Keys:   []secret.Value{v, v},
		ByName: map[string]secret.Value{"aws_secret_access_key": v},
		Ptr:    &v,
	}
}

func TestValue(t *testing.T) {
	v := secret.NewValue(leak)
	if got := v.Reveal(); got != leak {
		t.Errorf("Reveal() = %q, want %q", got, leak)
	}
	if !v.IsSet() {
		t.Error("IsSet() = false for a non-empty value")
	}
	for name, e := range map[string]secret.Value{"zero": {}, "empty": secret.NewValue("")} {
		if e.IsSet() || e.Reveal() != "" || e.String() != "" {
			t.Errorf("%s Value: IsSet %v, Reveal %q, String %q; want false, \"\", \"\"", name, e.IsSet(), e.Reveal(), e.String())
		}
	}
	if got, want := fmt.Sprintf("%v|%#v|%q", secret.Value{}, secret.Value{}, secret.Value{}), `|secret.Value("")|""`; got != want {
		t.Errorf("empty Value prints %q, want %q", got, want)
	}
}

func TestValue_fmt(t *testing.T) {
	v := secret.NewValue(leak)
	r := newRepo()
	tests := []struct {
		format string
		arg    any
		want   string // "" when only the absence of the secret is checked
	}{
		{"%v", v, secret.Mask},
		{"%s", v, secret.Mask},
		{"%+v", v, secret.Mask},
		{"%#v", v, `secret.Value("********")`},
		{"%q", v, `"********"`},
		{"%10.3s|", v, "       ***|"},
		{"%-10v|", v, "********  |"},
		{"%x", v, "2a2a2a2a2a2a2a2a"},
		{"%X", v, ""},
		{"%d", v, ""},
		{"%p", v, ""},
		{"%T", v, "secret.Value"},
		{"%v", &v, ""},
		{"%v", r, ""},
		{"%+v", r, ""},
		{"%#v", r, ""},
		{"%s", r, ""},
		{"%x", r, ""},
		{"%d", r, ""},
		{"%+v", &r, ""},
		{"%v", []any{v, &v, r, &r}, ""},
		{"%v", map[string]any{"a": v, "b": r}, ""},
		{"%v", struct{ r repo }{r}, ""},
		{"%+v", struct{ p *repo }{&r}, ""},
	}
	for _, tt := range tests {
		got := fmt.Sprintf(tt.format, tt.arg)
		if strings.Contains(got, leak) || strings.Contains(got, fmt.Sprintf("%x", leak)) {
			t.Errorf("Sprintf(%q, %T) leaks the secret: %s", tt.format, tt.arg, got)
		}
		if tt.want != "" && got != tt.want {
			t.Errorf("Sprintf(%q, %T) = %q, want %q", tt.format, tt.arg, got, tt.want)
		}
	}
	if got := fmt.Sprint(v, r); strings.Contains(got, leak) {
		t.Errorf("Sprint leaks the secret: %s", got)
	}
	if got := fmt.Sprintln(v, r); strings.Contains(got, leak) {
		t.Errorf("Sprintln leaks the secret: %s", got)
	}
	if got := fmt.Errorf("connect with %v: %w", r, errors.New("denied")).Error(); strings.Contains(got, leak) {
		t.Errorf("an error leaks the secret: %s", got)
	}
	if got := fmt.Sprintf("%+v", r); !strings.Contains(got, "Password:"+secret.Mask) {
		t.Errorf("%%+v of a struct = %s, want Password:%s in it", got, secret.Mask)
	}
}

func TestValue_encoding(t *testing.T) {
	v := secret.NewValue(leak)
	r := newRepo()

	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"ID":42,"URL":"s3:s3.example.com/backups","Password":"********","Keys":["********","********"],"ByName":{"aws_secret_access_key":"********"},"Ptr":"********"}`
	if string(b) != want {
		t.Errorf("json.Marshal = %s, want %s", b, want)
	}
	if b, err := json.Marshal(struct{ P, E secret.Value }{P: v}); err != nil || string(b) != `{"P":"********","E":""}` {
		t.Errorf("json.Marshal = %s, %v", b, err)
	}
	// As a map key JSON uses MarshalText.
	if b, err := json.Marshal(map[secret.Value]int{v: 1}); err != nil || string(b) != `{"********":1}` {
		t.Errorf("json.Marshal of a map keyed by Value = %s, %v", b, err)
	}
	if b, err := v.MarshalText(); err != nil || string(b) != secret.Mask {
		t.Errorf("MarshalText = %q, %v", b, err)
	}
	if y, err := v.MarshalYAML(); err != nil || y != secret.Mask {
		t.Errorf("MarshalYAML = %v, %v", y, err)
	}
	type x struct {
		Attr secret.Value `xml:"pw,attr"`
		Elem secret.Value `xml:"password"`
	}
	if b, err := xml.Marshal(x{v, v}); err != nil || string(b) != `<x pw="********"><password>********</password></x>` {
		t.Errorf("xml.Marshal = %s, %v", b, err)
	}
	var sb strings.Builder
	tmpl := template.Must(template.New("").Parse(`{{.Password}} {{.}} {{printf "%v" .Password}} {{.Password.String}}`))
	if err := tmpl.Execute(&sb, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sb.String(), leak) {
		t.Errorf("template output leaks the secret: %s", sb.String())
	}
}

func TestValue_slog(t *testing.T) {
	v := secret.NewValue(leak)
	r := newRepo()
	var out strings.Builder
	for _, h := range []slog.Handler{
		slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}),
		slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}),
	} {
		log := slog.New(h)
		log.Info("repo added", "password", v, "repo", r, "ptr", &r)
		log.With("password", v).Warn("with")
		log.Info("group", slog.Group("cred", "password", v, slog.Any("values", []secret.Value{v})))
		log.LogAttrs(t.Context(), slog.LevelDebug, "attrs", slog.Any("password", v))
		log.Error("error", "err", fmt.Errorf("repo %v: denied", r))
	}
	if strings.Contains(out.String(), leak) {
		t.Errorf("log output leaks the secret:\n%s", out.String())
	}
	for _, want := range []string{"password=********", `"password":"********"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("log output lacks %s:\n%s", want, out.String())
		}
	}
	if got := v.LogValue(); got.Kind() != slog.KindString || got.String() != secret.Mask {
		t.Errorf("LogValue() = %v, want the string %q", got, secret.Mask)
	}
}
