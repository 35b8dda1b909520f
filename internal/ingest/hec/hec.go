// Package hec receives events in the Splunk HTTP Event Collector protocol:
// POST /services/collector/event (a stream of JSON event objects),
// /services/collector/raw (lines of text) and GET
// /services/collector/health, authenticated by "Authorization: Splunk
// TOKEN". A request is answered {"text":"Success","code":0} only after its
// events are durable; when the sink cannot store them the reply is 503
// (code 9, "Server is busy") and the sender retries.
package hec

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest"
)

// Limits.
const (
	MaxBody   = 100 << 20 // decompressed request body
	MaxEvents = 100000    // events per request
	MaxDepth  = ingest.MaxDepth
)

// Source is who is sending, as decided by Authenticate.
type Source struct {
	Name   string
	UnitID int64
}

// Options configure a Handler.
type Options struct {
	// Sink receives the events; required.
	Sink ingest.Sink
	// Authenticate maps a HEC token to a source; required.
	Authenticate func(token string) (Source, bool)
	// Stats, if not nil, is updated.
	Stats *ingest.Stats
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Handler serves the collector endpoints.
type Handler struct {
	opts Options
	mux  *http.ServeMux
}

// New returns a Handler.
func New(opts Options) *Handler {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Stats == nil {
		opts.Stats = new(ingest.Stats)
	}
	h := &Handler{opts: opts, mux: http.NewServeMux()}
	h.mux.HandleFunc("POST /services/collector", h.events)
	h.mux.HandleFunc("POST /services/collector/event", h.events)
	h.mux.HandleFunc("POST /services/collector/event/1.0", h.events)
	h.mux.HandleFunc("POST /services/collector/raw", h.raw)
	h.mux.HandleFunc("POST /services/collector/raw/1.0", h.raw)
	h.mux.HandleFunc("GET /services/collector/health", h.health)
	h.mux.HandleFunc("GET /services/collector/health/1.0", h.health)
	return h
}

// reply writes a HEC status object.
func reply(w http.ResponseWriter, status, code int, text string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"text": text, "code": code})
}

// ServeHTTP authenticates and routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/health") || strings.HasSuffix(r.URL.Path, "/health/1.0") {
		h.mux.ServeHTTP(w, r)
		return
	}
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Splunk ")
	if !ok {
		token, ok = strings.CutPrefix(auth, "Bearer ")
	}
	if !ok || token == "" {
		reply(w, http.StatusUnauthorized, 2, "Token is required")
		return
	}
	src, valid := h.opts.Authenticate(strings.TrimSpace(token))
	if !valid {
		reply(w, http.StatusForbidden, 4, "Invalid token")
		return
	}
	h.mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sourceKey{}, src)))
}

type sourceKey struct{}

func (h *Handler) health(w http.ResponseWriter, _ *http.Request) {
	reply(w, http.StatusOK, 17, "HEC is healthy")
}

func body(r *http.Request) (io.Reader, error) {
	var rd io.Reader = r.Body
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, err
		}
		rd = zr
	}
	return io.LimitReader(rd, MaxBody+1), nil
}

func (h *Handler) accept(w http.ResponseWriter, r *http.Request, events []event.Event, n int) {
	src, _ := r.Context().Value(sourceKey{}).(Source)
	addr := ingest.HostOf(r.RemoteAddr)
	for i := range events {
		events[i].UnitID, events[i].Source.Addr = src.UnitID, addr
		if src.Name != "" {
			events[i].Source.Name = src.Name
		}
	}
	h.opts.Stats.Bytes.Add(uint64(n))
	if len(events) > 0 {
		if err := h.opts.Sink.Accept(r.Context(), events); err != nil {
			reply(w, http.StatusServiceUnavailable, 9, "Server is busy")
			return
		}
		h.opts.Stats.Received.Add(uint64(len(events)))
	}
	reply(w, http.StatusOK, 0, "Success")
}

func (h *Handler) events(w http.ResponseWriter, r *http.Request) {
	rd, err := body(r)
	if err != nil {
		reply(w, http.StatusBadRequest, 6, "Invalid data format")
		return
	}
	data, err := io.ReadAll(rd)
	if err != nil || len(data) > MaxBody {
		reply(w, http.StatusRequestEntityTooLarge, 6, "Invalid data format: request too large")
		return
	}
	events, err := ParseEvents(data, h.opts.Now().UTC())
	if err != nil {
		// HEC refuses the whole request on a malformed event; nothing is stored.
		reply(w, http.StatusBadRequest, 6, "Invalid data format: "+err.Error())
		return
	}
	h.accept(w, r, events, len(data))
}

func (h *Handler) raw(w http.ResponseWriter, r *http.Request) {
	rd, err := body(r)
	if err != nil {
		reply(w, http.StatusBadRequest, 6, "Invalid data format")
		return
	}
	now := h.opts.Now().UTC()
	q := r.URL.Query()
	var events []event.Event
	n := 0
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		n += len(sc.Bytes()) + 1
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			continue
		}
		if len(events) >= MaxEvents {
			reply(w, http.StatusRequestEntityTooLarge, 6, "Invalid data format: too many events")
			return
		}
		e := event.Event{Time: now, Received: now, Source: event.Source{Kind: event.KindHEC, Name: q.Get("source")}, Message: line}
		e.Set(event.FieldMessage, line)
		e.Set(event.FieldHostName, q.Get("host"))
		e.Set("splunk.sourcetype", q.Get("sourcetype"))
		e.Set("splunk.index", q.Get("index"))
		events = append(events, e)
	}
	if err := sc.Err(); err != nil {
		reply(w, http.StatusBadRequest, 6, "Invalid data format: "+err.Error())
		return
	}
	h.accept(w, r, events, n)
}

// hecEvent is one object of the event endpoint.
type hecEvent struct {
	Time       json.RawMessage            `json:"time"`
	Host       string                     `json:"host"`
	Source     string                     `json:"source"`
	Sourcetype string                     `json:"sourcetype"`
	Index      string                     `json:"index"`
	Event      json.RawMessage            `json:"event"`
	Fields     map[string]json.RawMessage `json:"fields"`
}

// ParseEvents reads the body of the event endpoint: JSON objects one after
// the other (whitespace or nothing between them).
func ParseEvents(data []byte, received time.Time) ([]event.Event, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out []event.Event
	for i := 0; ; i++ {
		var he hecEvent
		err := dec.Decode(&he)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("event %d: %w", i, err)
		}
		if len(he.Event) == 0 || string(he.Event) == "null" {
			return nil, fmt.Errorf("event %d: event field is required", i)
		}
		if len(out) >= MaxEvents {
			return nil, fmt.Errorf("more than %d events", MaxEvents)
		}
		e := event.Event{Time: received, Received: received, Source: event.Source{Kind: event.KindHEC, Name: he.Source}}
		e.Fields = map[string]string{}
		// The event is a string (a log line) or an object (its fields).
		var s string
		if json.Unmarshal(he.Event, &s) == nil {
			e.Message = s
			e.Set(event.FieldMessage, s)
		} else {
			var obj any
			d := json.NewDecoder(bytes.NewReader(he.Event))
			d.UseNumber()
			if err := d.Decode(&obj); err != nil {
				return nil, fmt.Errorf("event %d: %w", i, err)
			}
			if _, isObj := obj.(map[string]any); isObj {
				if err := ingest.Flatten(e.Fields, "", obj); err != nil {
					return nil, fmt.Errorf("event %d: %w", i, err)
				}
			}
			e.Message = e.Fields[event.FieldMessage]
			if e.Message == "" {
				e.Message = string(he.Event)
			}
		}
		for k, v := range he.Fields {
			if k == "" {
				continue
			}
			var val any
			d := json.NewDecoder(bytes.NewReader(v))
			d.UseNumber()
			if d.Decode(&val) == nil {
				_ = ingest.Flatten(e.Fields, k, val)
			}
		}
		e.Set(event.FieldHostName, he.Host)
		e.Set("splunk.sourcetype", he.Sourcetype)
		e.Set("splunk.index", he.Index)
		if len(he.Time) > 0 && string(he.Time) != "null" {
			if t, ok := parseEpoch(he.Time); ok {
				e.Time = t
			} else {
				e.ParseError = "unreadable time " + string(he.Time) + "; the receive time is used"
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// parseEpoch reads HEC's time: seconds since the epoch, as a number or a
// string, with an optional fraction.
func parseEpoch(raw json.RawMessage) (time.Time, bool) {
	s := strings.Trim(string(raw), `"`)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e11 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC().Truncate(time.Microsecond), true
}
