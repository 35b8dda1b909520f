package intel_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/intel"
)

const (
	taxiiUser     = "khien"
	taxiiPassword = "s3cret-Passw0rd"
	taxiiColl     = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
)

var (
	taxiiAdded1 = time.Date(2026, 4, 1, 10, 0, 0, 123456000, time.UTC)
	taxiiAdded2 = time.Date(2026, 4, 2, 11, 30, 0, 0, time.UTC)
)

// taxiiServer is a small TAXII 2.1 server: discovery at /taxii2/, one API
// root /api1/ with one collection whose objects come in two pages. With
// noNext it pages by X-TAXII-Date-Added-Last instead of next.
type taxiiServer struct {
	*httptest.Server
	noNext bool

	mu      sync.Mutex
	queries []url.Values // of the objects requests
}

func newTAXIIServer(t *testing.T, noNext bool) *taxiiServer {
	t.Helper()
	s := &taxiiServer{noNext: noNext}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /taxii2/{$}", func(w http.ResponseWriter, r *http.Request) {
		s.reply(w, http.StatusOK, map[string]any{"title": "Test TAXII", "default": "/api1/",
			"api_roots": []string{"/api1/", "https://cti.example.org/api2/"}}, nil)
	})
	mux.HandleFunc("GET /api1/{$}", func(w http.ResponseWriter, r *http.Request) {
		s.reply(w, http.StatusOK, map[string]any{"title": "API root 1", "versions": []string{intel.TAXIIMediaType},
			"max_content_length": 104857600}, nil)
	})
	mux.HandleFunc("GET /api1/collections/{$}", func(w http.ResponseWriter, r *http.Request) {
		s.reply(w, http.StatusOK, map[string]any{"collections": []map[string]any{
			{"id": taxiiColl, "title": "Indicators", "alias": "iocs", "can_read": true, "can_write": false,
				"media_types": []string{"application/stix+json;version=2.1"}},
		}}, nil)
	})
	mux.HandleFunc("GET /api1/collections/{id}/objects/{$}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != taxiiColl {
			s.reply(w, http.StatusNotFound, map[string]any{"title": "Collection not found"}, nil)
			return
		}
		q := r.URL.Query()
		s.mu.Lock()
		s.queries = append(s.queries, q)
		s.mu.Unlock()
		page2 := q.Get("next") == "page-2" || s.noNext && q.Get("added_after") == taxiiAdded1.Format(time.RFC3339Nano)
		if !page2 {
			env := map[string]any{"more": true, "objects": []any{stixIndicatorObject("indicator--6071a2b3-c4d5-4e6f-9788-99aabbccddee", "[ipv4-addr:value = '192.0.2.1']")}}
			if !s.noNext {
				env["next"] = "page-2"
			}
			s.reply(w, http.StatusOK, env, map[string]string{"X-TAXII-Date-Added-First": "2026-03-01T00:00:00Z",
				"X-TAXII-Date-Added-Last": taxiiAdded1.Format(time.RFC3339Nano)})
			return
		}
		s.reply(w, http.StatusOK, map[string]any{"more": false, "objects": []any{
			stixIndicatorObject("indicator--7182b3c4-d5e6-4f70-8899-aabbccddeeff", "[domain-name:value = 'c2.bad.example']")}},
			map[string]string{"X-TAXII-Date-Added-Last": taxiiAdded2.Format(time.RFC3339Nano)})
	})
	mux.HandleFunc("GET /api1/collections/huge/objects/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", intel.TAXIIMediaType)
		_, _ = w.Write([]byte(`{"objects":[`))
		_, _ = io.Copy(w, io.LimitReader(stixSpaces{}, intel.MaxBundleSize+10))
	})
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != taxiiUser || p != taxiiPassword {
			w.Header().Set("WWW-Authenticate", `Basic realm="taxii"`)
			s.reply(w, http.StatusUnauthorized, map[string]any{"title": "Authentication required", "http_status": "401"}, nil)
			return
		}
		if r.Header.Get("Accept") != intel.TAXIIMediaType {
			s.reply(w, http.StatusNotAcceptable, map[string]any{"title": "Unsupported media type"}, nil)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *taxiiServer) reply(w http.ResponseWriter, status int, body any, headers map[string]string) {
	for k, v := range headers {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", intel.TAXIIMediaType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func stixIndicatorObject(id, pattern string) map[string]any {
	return map[string]any{"type": "indicator", "spec_version": "2.1", "id": id, "created": "2026-04-01T00:00:00.000Z",
		"modified": "2026-04-01T00:00:00.000Z", "pattern": pattern, "pattern_type": "stix", "valid_from": "2026-04-01T00:00:00Z"}
}

func (s *taxiiServer) client() *intel.TAXIIClient {
	return &intel.TAXIIClient{BaseURL: s.URL + "/taxii2/", Username: taxiiUser, Password: taxiiPassword, HTTP: s.Client()}
}

func TestTAXIIClient_Discovery(t *testing.T) {
	s := newTAXIIServer(t, false)
	for _, base := range []string{s.URL + "/taxii2/", s.URL, s.URL + "/"} {
		c := s.client()
		c.BaseURL = base
		d, err := c.Discovery(t.Context())
		if err != nil {
			t.Fatalf("Discovery (base %s): %v", base, err)
		}
		want := intel.TAXIIDiscovery{Title: "Test TAXII", Default: s.URL + "/api1/",
			APIRoots: []string{s.URL + "/api1/", "https://cti.example.org/api2/"}}
		if diff := cmp.Diff(want, d); diff != "" {
			t.Errorf("Discovery (base %s) (-want +got):\n%s", base, diff)
		}
	}
}

func TestTAXIIClient_APIRootAndCollections(t *testing.T) {
	s := newTAXIIServer(t, false)
	c := s.client()
	for _, root := range []string{"/api1/", s.URL + "/api1", "api1"} {
		// "api1" is relative to the discovery URL: /taxii2/api1/, which
		// this server does not have.
		r, err := c.APIRoot(t.Context(), root)
		if root == "api1" {
			var te *intel.TAXIIError
			if !errors.As(err, &te) || te.StatusCode != http.StatusNotFound {
				t.Errorf("APIRoot(%q) = %+v, %v; want a 404", root, r, err)
			}
			continue
		}
		if err != nil || r.Title != "API root 1" || r.MaxContentLength != 104857600 {
			t.Errorf("APIRoot(%q) = %+v, %v", root, r, err)
		}
	}
	got, err := c.Collections(t.Context(), s.URL+"/api1/")
	if err != nil {
		t.Fatal(err)
	}
	want := []intel.TAXIICollection{{ID: taxiiColl, Title: "Indicators", Alias: "iocs", CanRead: true,
		MediaTypes: []string{"application/stix+json;version=2.1"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Collections (-want +got):\n%s", diff)
	}
}

func TestTAXIIClient_Objects(t *testing.T) {
	for _, noNext := range []bool{false, true} {
		name := "next"
		if noNext {
			name = "date_added_last"
		}
		t.Run(name, func(t *testing.T) {
			s := newTAXIIServer(t, noNext)
			after := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			var values []string
			last, err := s.client().Objects(t.Context(), s.URL+"/api1/", taxiiColl, after, func(env []byte) error {
				b, err := intel.ParseSTIXBundle(bytes.NewReader(env), intel.ImportOptions{Source: "TAXII"})
				if err != nil {
					return err
				}
				for _, ind := range b.Indicators {
					values = append(values, ind.Value)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !last.Equal(taxiiAdded2) {
				t.Errorf("last = %v, want %v", last, taxiiAdded2)
			}
			if diff := cmp.Diff([]string{"192.0.2.1", "c2.bad.example"}, values); diff != "" {
				t.Errorf("indicators (-want +got):\n%s", diff)
			}
			wantQueries := []url.Values{{"added_after": {"2026-03-01T00:00:00Z"}}, {"added_after": {"2026-03-01T00:00:00Z"}, "next": {"page-2"}}}
			if noNext {
				wantQueries[1] = url.Values{"added_after": {taxiiAdded1.Format(time.RFC3339Nano)}}
			}
			if diff := cmp.Diff(wantQueries, s.queries); diff != "" {
				t.Errorf("queries (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTAXIIClient_Errors(t *testing.T) {
	s := newTAXIIServer(t, false)
	t.Run("unauthorized", func(t *testing.T) {
		c := s.client()
		c.Password = "wrong-" + taxiiPassword
		_, err := c.Collections(t.Context(), "/api1/")
		var te *intel.TAXIIError
		if !errors.As(err, &te) || te.StatusCode != http.StatusUnauthorized {
			t.Fatalf("Collections with a wrong password: %v, want a TAXIIError 401", err)
		}
		host := strings.TrimPrefix(s.URL, "http://")
		msg := err.Error()
		if !strings.Contains(msg, host) || !strings.Contains(msg, "401") || !strings.Contains(msg, "Authentication required") {
			t.Errorf("error %q should name the host, the status and the server's title", msg)
		}
		if strings.Contains(msg, taxiiPassword) {
			t.Errorf("error %q shows the password", msg)
		}
	})
	t.Run("no_credentials", func(t *testing.T) {
		c := s.client()
		c.Username, c.Password = "", ""
		if _, err := c.Discovery(t.Context()); err == nil || !strings.Contains(err.Error(), "401") {
			t.Errorf("Discovery without credentials: %v, want a 401", err)
		}
	})
	t.Run("credentials_in_url_not_shown", func(t *testing.T) {
		c := s.client()
		c.BaseURL = strings.Replace(s.URL, "http://", "http://u:"+taxiiPassword+"@", 1) + "/taxii2/"
		c.Password = "bad"
		_, err := c.Discovery(t.Context())
		if err == nil || strings.Contains(err.Error(), taxiiPassword) {
			t.Errorf("Discovery: %v", err)
		}
	})
	t.Run("unknown_collection", func(t *testing.T) {
		_, err := s.client().Objects(t.Context(), "/api1/", "nope", time.Time{}, func([]byte) error { return nil })
		var te *intel.TAXIIError
		if !errors.As(err, &te) || te.StatusCode != http.StatusNotFound {
			t.Errorf("Objects of an unknown collection: %v, want a 404", err)
		}
	})
	t.Run("callback_error", func(t *testing.T) {
		stop := errors.New("stop")
		calls := 0
		_, err := s.client().Objects(t.Context(), "/api1/", taxiiColl, time.Time{}, func([]byte) error { calls++; return stop })
		if !errors.Is(err, stop) || calls != 1 {
			t.Errorf("Objects: %v after %d calls, want stop after 1", err, calls)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := s.client().Collections(ctx, "/api1/")
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Collections with a cancelled context: %v", err)
		}
	})
	t.Run("too_large", func(t *testing.T) {
		_, err := s.client().Objects(t.Context(), "/api1/", "huge", time.Time{}, func([]byte) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "larger than") {
			t.Errorf("Objects of a huge page: %v, want too large", err)
		}
	})
	t.Run("bad_base_url", func(t *testing.T) {
		c := &intel.TAXIIClient{BaseURL: "ftp://x.example/"}
		if _, err := c.Discovery(t.Context()); err == nil {
			t.Error("Discovery of an ftp URL succeeded")
		}
	})
}
