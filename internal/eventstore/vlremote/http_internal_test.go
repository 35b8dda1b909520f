package vlremote

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/eventstore"
)

func TestResponseError(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		want   error
	}{
		{401, "Unauthorized", errs.ErrUnauthorized},
		{403, "forbidden", errs.ErrUnauthorized},
		{400, "cannot parse `query` arg [host.name:(]: missing ')'", errs.ErrInvalid},
		{400, `unsupported path requested: "/internal/partition/list"`, errNotStorage},
		{404, "not found", errNotStorage},
		{429, "cannot add rows into storage in read-only mode", eventstore.ErrReadOnly},
		{503, "the request couldn't be executed in 30.000 seconds; possible solutions: to increase -search.maxQueryDuration=30s", eventstore.ErrTimeout},
		{503, "couldn't start executing the request", errs.ErrUnavailable},
		{502, "bad gateway", errs.ErrUnavailable},
	} {
		resp := &http.Response{StatusCode: tc.status, Body: io.NopCloser(strings.NewReader(tc.body))}
		err := responseError("http://user:pass@logs:9428", "/x", resp)
		if !errors.Is(err, tc.want) {
			t.Errorf("%d %q: %v, want %v", tc.status, tc.body, err, tc.want)
		}
		if strings.Contains(err.Error(), "pass") {
			t.Errorf("%d: the error shows the URL's password: %v", tc.status, err)
		}
		if !strings.Contains(err.Error(), tc.body) {
			t.Errorf("%d: the error lacks the server's message: %v", tc.status, err)
		}
	}
}

func TestParseFlags(t *testing.T) {
	c := defaultServerConfig()
	for _, line := range []string{
		`-retentionPeriod="90d"`,
		`-futureRetention="1w"`,
		`-insert.maxLineSizeBytes="8MiB"`,
		`-insert.maxFieldsPerLine="2001"`,
		`-search.maxQueryLen="1MB"`,
		`-defaultMsgValue=""`,
		`-httpAuth.password="secret"`,
		`not a flag`,
	} {
		if name, value, ok := parseFlagLine(line); ok {
			c.set(name, value)
		}
	}
	want := serverConfig{
		retention: 90 * day, futureRetention: 7 * day, maxLineSize: 8 << 20,
		maxFieldsPerLine: 2001, maxQueryLen: 1e6, defaultMsg: "",
	}
	if c != want {
		t.Errorf("config = %+v, want %+v", c, want)
	}
	for in, want := range map[string]time.Duration{"1": 31 * day, "2M": 62 * day, "12h": 12 * time.Hour, "1y": 365 * day} {
		if got, ok := parseRetention(in); !ok || got != want {
			t.Errorf("parseRetention(%q) = %s, %v; want %s", in, got, ok, want)
		}
	}
	if _, ok := parseRetention("1d12h"); ok {
		t.Errorf("parseRetention(1d12h) parsed")
	}
}
