// Package web assembles Khiên's HTTP surface: the route table (UI, API,
// probes, static files), the middleware every request passes through
// (recovery, metrics, security headers and CSP, cross-origin protection,
// authentication, language), and the http.Server settings.
package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"time"

	"khien.vn/khien/internal/i18n"
	"khien.vn/khien/internal/metrics"
	"khien.vn/khien/internal/user"
	"khien.vn/khien/internal/web/api"
	"khien.vn/khien/internal/web/assets"
	"khien.vn/khien/internal/web/respond"
	"khien.vn/khien/internal/web/ui"
)

// Deps are what the HTTP surface needs.
type Deps struct {
	UI      *ui.Handler
	API     *api.Handler
	Users   *user.Service
	Static  *assets.Static
	Catalog *i18n.Catalog
	Metrics *metrics.Registry
	Logger  *slog.Logger
	// Ready reports whether the service can serve (database reachable, …).
	Ready func(ctx context.Context) error
}

// Server is the root http.Handler.
type Server struct {
	Deps
	mux      *http.ServeMux
	routes   []Route
	openapi  []byte
	requests *metrics.CounterVec
	latency  *metrics.HistogramVec
	panics   *metrics.CounterVec
	cop      *http.CrossOriginProtection
}

// New builds the handler and registers every route.
func New(d Deps) (*Server, error) {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	doc, err := OpenAPIJSON()
	if err != nil {
		return nil, err
	}
	s := &Server{Deps: d, mux: http.NewServeMux(), openapi: doc, cop: http.NewCrossOriginProtection()}
	s.requests = d.Metrics.NewCounterVec("khien_http_requests_total", "HTTP requests by route and status code.", "route", "code")
	s.latency = d.Metrics.NewHistogramVec("khien_http_request_duration_seconds", "HTTP request latency by route.", metrics.DefBuckets, "route")
	s.panics = d.Metrics.NewCounterVec("khien_http_panics_total", "Handler panics recovered.")
	d.Metrics.Collect(func(emit func(name, help, kind string, v float64)) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		emit("go_goroutines", "Number of goroutines.", "gauge", float64(runtime.NumGoroutine()))
		emit("go_memstats_heap_inuse_bytes", "Heap bytes in use.", "gauge", float64(ms.HeapInuse))
		emit("go_memstats_sys_bytes", "Bytes obtained from the OS.", "gauge", float64(ms.Sys))
	})
	s.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := fmt.Errorf("cross-origin request refused: %w", errForbiddenOrigin)
		if strings.HasPrefix(r.URL.Path, "/api/") {
			respond.WriteJSONError(w, r, s.Logger, s.API.Translate, err)
			return
		}
		s.UI.Page(func(http.ResponseWriter, *http.Request) error { return err }).ServeHTTP(w, r)
	}))
	s.routes = s.routeTable()
	for _, rt := range s.routes {
		s.mux.Handle(rt.Method+" "+rt.Pattern, s.instrument(rt))
	}
	// Anything else: a 404 in the right format.
	s.mux.Handle("/api/", s.instrument(Route{Pattern: "/api/", Access: Token, handler: s.API.Handle(notFound)}))
	s.mux.Handle("/", s.instrument(Route{Pattern: "/", Access: Session, handler: s.UI.Page(notFound)}))
	return s, nil
}

// Routes returns the route table (for tests and documentation).
func (s *Server) Routes() []Route { return s.routes }

// ServeHTTP passes every request through the middleware, then the mux.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	info := &routeInfo{pattern: "unmatched"}
	start := time.Now()
	defer func() {
		if v := recover(); v != nil {
			s.panics.Inc()
			s.Logger.Error("handler panic", "path", r.URL.Path, "panic", v)
			if !rec.wrote {
				http.Error(rec, "internal error", http.StatusInternalServerError)
			}
		}
		s.requests.Inc(info.pattern, fmt.Sprint(rec.status))
		s.latency.Observe(time.Since(start).Seconds(), info.pattern)
	}()
	r = r.WithContext(context.WithValue(r.Context(), routeInfoKey{}, info))
	nonce := newNonce()
	setSecurityHeaders(rec.Header(), nonce, r.TLS != nil)
	r = respond.WithNonce(r, nonce)
	s.cop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.authenticate(w, r, s.mux)
	})).ServeHTTP(rec, r)
}

// authenticate attaches the principal: a bearer token on /api/, a session
// cookie elsewhere. It never rejects: each route decides what it needs.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, next http.Handler) {
	ctx := r.Context()
	ip := ui.ClientIP(r)
	lang := ""
	if strings.HasPrefix(r.URL.Path, "/api/") {
		if tok, ok := bearer(r); ok {
			p, err := s.Users.AuthenticateToken(ctx, tok, ip)
			if err != nil {
				r = respond.WithLang(r, i18n.Negotiate(r.Header.Get("Accept-Language")))
				respond.WriteJSONError(w, r, s.Logger, s.API.Translate, err)
				return
			}
			r = respond.WithPrincipal(r, p)
			lang = p.Locale
		}
	} else if c, err := r.Cookie(ui.SessionCookie); err == nil && c.Value != "" {
		p, _, err := s.Users.Authenticate(ctx, c.Value, ip)
		if err == nil {
			r = respond.WithPrincipal(r, p)
			r = respond.WithSessionToken(r, c.Value)
			lang = p.Locale
		} else if respond.Status(err) >= 500 {
			s.UI.Page(func(http.ResponseWriter, *http.Request) error { return err }).ServeHTTP(w, r)
			return
		}
	}
	if !i18n.Supported(lang) {
		if c, err := r.Cookie(ui.LangCookie); err == nil && i18n.Supported(c.Value) {
			lang = c.Value
		} else {
			lang = i18n.Negotiate(r.Header.Get("Accept-Language"))
		}
	}
	next.ServeHTTP(w, respond.WithLang(r, lang))
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

func newNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// setSecurityHeaders sets the headers every response carries.
func setSecurityHeaders(h http.Header, nonce string, tls bool) {
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; style-src 'self'; "+
		"img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
	if tls {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
}

type routeInfoKey struct{}

type routeInfo struct{ pattern string }

// instrument labels the request with its route pattern (for metrics) and
// applies the route's access rule.
func (s *Server) instrument(rt Route) http.Handler {
	label := rt.Pattern
	if rt.Method != "" {
		label = rt.Method + " " + rt.Pattern
	}
	h := rt.handler
	if rt.Access == Token {
		h = s.requireToken(h)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info, ok := r.Context().Value(routeInfoKey{}).(*routeInfo); ok {
			info.pattern = label
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) requireToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if respond.Principal(r) == nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="khien"`)
			respond.WriteJSONError(w, r, s.Logger, s.API.Translate, errUnauthenticated)
			return
		}
		next.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
