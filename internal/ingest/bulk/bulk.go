// Package bulk emulates the parts of the Elasticsearch HTTP API that log
// shippers use, so that Beats (Winlogbeat, Filebeat), Elastic Agent,
// Logstash, Fluent Bit and Vector send to Khiên as if it were
// Elasticsearch: the start-up calls they make (cluster info, licence,
// index templates, ILM policies, ingest pipelines, data streams) are
// answered as they expect, and POST /_bulk (and /{index}/_bulk) turns every
// index/create action into an event, replying with one result per item.
//
// A bulk request is acknowledged only after its events are durable (the
// Sink returned); when the sink fails or is overloaded the whole request
// gets 429 and the shipper retries it. Documents are flattened into dotted
// field names (ECS documents stay ECS); the document's "message" (or
// "event.original") is the event's Message, and the full JSON is not kept
// a second time.
package bulk

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest"
)

// Version is the Elasticsearch version Khiên presents itself as. Shippers
// of the 8.x line accept it; 7.x Beats accept an 8.x cluster too.
const Version = "8.19.0"

// Limits.
const (
	// MaxBody bounds a bulk request body after decompression.
	MaxBody = 100 << 20
	// MaxLine bounds one NDJSON line (one document).
	MaxLine = 1 << 20
	// MaxDepth bounds the nesting of a document.
	MaxDepth = ingest.MaxDepth
	// MaxFields bounds the fields of one document.
	MaxFields = ingest.MaxFields
)

// Source is who is sending, as decided by Authenticate.
type Source struct {
	// Name names the source (the token's or user's name).
	Name string
	// UnitID is the unit the events belong to (0: attributed later).
	UnitID int64
}

// Options configure a Handler.
type Options struct {
	// Sink receives the events; required.
	Sink ingest.Sink
	// Authenticate decides whether a request may send, from its Basic
	// credentials or its "Authorization: ApiKey" header. nil accepts every
	// request as an anonymous source.
	Authenticate func(r *http.Request) (Source, bool)
	// Stats, if not nil, is updated.
	Stats *ingest.Stats
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Handler serves the emulated API.
type Handler struct {
	opts  Options
	mux   *http.ServeMux
	seqNo atomic.Int64
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
	h.mux.HandleFunc("GET /{$}", h.info)
	h.mux.HandleFunc("HEAD /{$}", h.info)
	h.mux.HandleFunc("POST /_bulk", h.bulk)
	h.mux.HandleFunc("PUT /_bulk", h.bulk)
	h.mux.HandleFunc("POST /{index}/_bulk", h.bulk)
	h.mux.HandleFunc("PUT /{index}/_bulk", h.bulk)
	h.mux.HandleFunc("/", h.other)
	return h
}

// ServeHTTP authenticates the request and routes it.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The official clients refuse a server without this header.
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	if h.opts.Authenticate != nil {
		src, ok := h.opts.Authenticate(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Basic realm="khien", ApiKey`)
			writeError(w, http.StatusUnauthorized, "security_exception", "missing or invalid credentials for Khiên ingest")
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), sourceKey{}, src))
	}
	h.mux.ServeHTTP(w, r)
}

type sourceKey struct{}

func sourceOf(r *http.Request) Source {
	src, _ := r.Context().Value(sourceKey{}).(Source)
	return src
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, typ, reason string) {
	writeJSON(w, status, map[string]any{
		"error":  map[string]any{"type": typ, "reason": reason, "root_cause": []map[string]string{{"type": typ, "reason": reason}}},
		"status": status,
	})
}

func (h *Handler) info(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"name":         "khien",
		"cluster_name": "khien",
		"cluster_uuid": "a2hpZW4ta2hpZW4ta2hpZW4",
		"version": map[string]any{
			"number": Version, "build_flavor": "default", "build_type": "tar", "build_hash": "khien",
			"build_date": "2026-01-01T00:00:00.000Z", "build_snapshot": false, "lucene_version": "9.12.0",
			"minimum_wire_compatibility_version": "7.17.0", "minimum_index_compatibility_version": "7.0.0",
		},
		"tagline": "You Know, for Search",
	})
}

func (h *Handler) license(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"license": map[string]any{
		"status": "active", "uid": "khien", "type": "basic", "issue_date": "2026-01-01T00:00:00.000Z",
		"issue_date_in_millis": 1767225600000, "max_nodes": 1000, "issued_to": "khien", "issuer": "elasticsearch",
		"start_date_in_millis": -1,
	}})
}

func (h *Handler) xpack(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"build":    map[string]any{"hash": "khien", "date": "2026-01-01T00:00:00.000Z"},
		"license":  map[string]any{"uid": "khien", "type": "basic", "mode": "basic", "status": "active"},
		"features": map[string]any{"ilm": map[string]any{"available": true, "enabled": true}},
	})
}

func (h *Handler) nodes(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"_nodes": map[string]int{"total": 1, "successful": 1, "failed": 0}, "cluster_name": "khien",
		"nodes": map[string]any{"khien": map[string]any{"name": "khien", "version": Version,
			"roles": []string{"data", "ingest", "master"}, "http": map[string]any{"publish_address": r.Host}}},
	})
}

func (h *Handler) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"cluster_name": "khien", "status": "green", "number_of_nodes": 1,
		"number_of_data_nodes": 1, "timed_out": false})
}

func (h *Handler) exists(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusOK)
}

func (h *Handler) getSetup(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	switch {
	case strings.HasPrefix(r.URL.Path, "/_index_template/"):
		writeJSON(w, http.StatusOK, map[string]any{"index_templates": []any{map[string]any{"name": name,
			"index_template": map[string]any{"index_patterns": []string{name + "*"}, "data_stream": map[string]any{}}}}})
	case strings.HasPrefix(r.URL.Path, "/_ilm/policy/"):
		writeJSON(w, http.StatusOK, map[string]any{name: map[string]any{"version": 1,
			"policy": map[string]any{"phases": map[string]any{"hot": map[string]any{"actions": map[string]any{}}}}}})
	case strings.HasPrefix(r.URL.Path, "/_data_stream/"):
		writeJSON(w, http.StatusOK, map[string]any{"data_streams": []any{map[string]any{"name": name, "status": "GREEN",
			"indices": []any{}, "generation": 1, "template": name}}})
	default:
		writeJSON(w, http.StatusOK, map[string]any{})
	}
}

func (h *Handler) acknowledge(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	writeJSON(w, http.StatusOK, map[string]any{"acknowledged": true})
}

// setupPrefixes are the set-up APIs shippers call before sending: Khiên
// keeps no indices, so everything "exists" and every change is
// acknowledged.
var setupPrefixes = []string{"/_index_template/", "/_template/", "/_component_template/", "/_ilm/policy/",
	"/_ingest/pipeline/", "/_data_stream/", "/_alias/", "/_cat/templates"}

// other routes the calls that are not bulk requests.
func (h *Handler) other(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/_license" || strings.HasPrefix(p, "/_license/"):
		h.license(w, r)
		return
	case p == "/_xpack":
		h.xpack(w, r)
		return
	case p == "/_nodes" || strings.HasPrefix(p, "/_nodes/"):
		h.nodes(w, r)
		return
	case p == "/_cluster/health":
		h.health(w, r)
		return
	}
	setup := false
	for _, prefix := range setupPrefixes {
		setup = setup || strings.HasPrefix(p, prefix)
	}
	// An index itself (HEAD /logs, PUT /logs) or its aliases.
	setup = setup || (strings.Count(strings.Trim(p, "/"), "/") == 0 && !strings.HasPrefix(p, "/_")) || strings.Contains(p, "/_alias")
	if !setup {
		h.unsupported(w, r)
		return
	}
	switch r.Method {
	case http.MethodHead:
		h.exists(w, r)
	case http.MethodGet:
		h.getSetup(w, r)
	case http.MethodPut, http.MethodPost:
		h.acknowledge(w, r)
	default:
		h.unsupported(w, r)
	}
}

func (h *Handler) unsupported(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusBadRequest, "illegal_argument_exception",
		fmt.Sprintf("Khiên accepts logs through _bulk; %s %s is not supported", r.Method, r.URL.Path))
}

// body returns the request body, decompressed, bounded by MaxBody.
func body(r *http.Request) (io.Reader, error) {
	var rd io.Reader = r.Body
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		rd = zr
	}
	return io.LimitReader(rd, MaxBody+1), nil
}

// itemResult is one entry of the bulk reply's items.
type itemResult struct {
	Index       string         `json:"_index"`
	ID          string         `json:"_id"`
	Version     int            `json:"_version,omitempty"`
	Result      string         `json:"result,omitempty"`
	Status      int            `json:"status"`
	SeqNo       int64          `json:"_seq_no,omitempty"`
	PrimaryTerm int            `json:"_primary_term,omitempty"`
	Shards      map[string]int `json:"_shards,omitempty"`
	Error       map[string]any `json:"error,omitempty"`
}

func (h *Handler) bulk(w http.ResponseWriter, r *http.Request) {
	start := h.opts.Now()
	rd, err := body(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "parse_exception", err.Error())
		return
	}
	src := sourceOf(r)
	addr := ingest.HostOf(r.RemoteAddr)
	res, err := Parse(rd, r.PathValue("index"), start.UTC())
	if err != nil {
		writeError(w, http.StatusBadRequest, "parse_exception", err.Error())
		return
	}
	name := src.Name
	for i := range res.Events {
		e := &res.Events[i]
		e.Source.Addr, e.UnitID = addr, src.UnitID
		if name != "" {
			e.Source.Name = name + "/" + e.Source.Name
		}
	}
	h.opts.Stats.Bytes.Add(uint64(res.Bytes))
	if len(res.Events) > 0 {
		if err := h.opts.Sink.Accept(r.Context(), res.Events); err != nil {
			// Nothing of this request is durable: the shipper retries it whole.
			writeError(w, http.StatusTooManyRequests, "es_rejected_execution_exception", "Khiên could not store the batch: "+err.Error())
			return
		}
		h.opts.Stats.Received.Add(uint64(len(res.Events)))
	}
	failed := false
	items := make([]map[string]itemResult, len(res.Items))
	for i, it := range res.Items {
		out := itemResult{Index: it.Index, ID: it.ID, Status: it.Status}
		if it.Status >= 300 {
			failed = true
			out.Error = map[string]any{"type": it.ErrType, "reason": it.Reason}
		} else {
			if out.ID == "" {
				out.ID = "k" + strconv.FormatInt(h.seqNo.Add(1), 36)
			}
			out.Version, out.Result, out.PrimaryTerm = 1, "created", 1
			out.SeqNo = h.seqNo.Add(1)
			out.Shards = map[string]int{"total": 1, "successful": 1, "failed": 0}
		}
		items[i] = map[string]itemResult{it.Action: out}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"took":   h.opts.Now().Sub(start).Milliseconds(),
		"errors": failed,
		"items":  items,
	})
}

// Item is the outcome of one action of a bulk request.
type Item struct {
	Action  string // index, create, update, delete
	Index   string
	ID      string
	Status  int // 201 stored, 400 refused
	ErrType string
	Reason  string
}

// Result is a parsed bulk request: the events to store and one Item per
// action, in order.
type Result struct {
	Events []event.Event
	Items  []Item
	Bytes  int
}

// ErrTooLarge is returned for a body over MaxBody.
var ErrTooLarge = errors.New("bulk request too large")

// Parse reads a bulk request body (NDJSON: an action line, then a source
// line for index and create). defaultIndex is the index of the URL path.
// Malformed documents become refused items (status 400); an unreadable
// request (bad action line, oversized) is an error.
func Parse(r io.Reader, defaultIndex string, received time.Time) (Result, error) {
	var res Result
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	lineNo := 0
	next := func() ([]byte, bool) {
		for sc.Scan() {
			lineNo++
			res.Bytes += len(sc.Bytes()) + 1
			if res.Bytes > MaxBody {
				return nil, false
			}
			line := bytes.TrimSpace(sc.Bytes())
			if len(line) > 0 {
				return line, true
			}
		}
		return nil, false
	}
	for {
		line, ok := next()
		if !ok {
			break
		}
		var action map[string]struct {
			Index string `json:"_index"`
			ID    string `json:"_id"`
		}
		if err := json.Unmarshal(line, &action); err != nil || len(action) != 1 {
			return res, fmt.Errorf("line %d: malformed action line, expected {\"index\":{…}}", lineNo)
		}
		for name, meta := range action {
			it := Item{Action: name, Index: meta.Index, ID: meta.ID}
			if it.Index == "" {
				it.Index = defaultIndex
			}
			switch name {
			case "index", "create":
				doc, ok := next()
				if !ok {
					return res, fmt.Errorf("line %d: action %s without a document", lineNo, name)
				}
				ev, err := Document(doc, it.Index, received)
				if err != nil {
					it.Status, it.ErrType, it.Reason = http.StatusBadRequest, "document_parsing_exception", err.Error()
				} else {
					it.Status = http.StatusCreated
					res.Events = append(res.Events, ev)
				}
			case "update":
				_, _ = next() // its body line
				it.Status, it.ErrType, it.Reason = http.StatusBadRequest, "illegal_argument_exception", "Khiên keeps events unchanged: update is not supported"
			case "delete":
				it.Status, it.ErrType, it.Reason = http.StatusBadRequest, "illegal_argument_exception", "Khiên keeps events unchanged: delete is not supported"
			default:
				return res, fmt.Errorf("line %d: unknown action %q", lineNo, name)
			}
			res.Items = append(res.Items, it)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return res, fmt.Errorf("line %d longer than %d bytes: %w", lineNo+1, MaxLine, ErrTooLarge)
		}
		return res, err
	}
	if res.Bytes > MaxBody {
		return res, ErrTooLarge
	}
	return res, nil
}

// Document turns one JSON document into an event: its leaves become
// dotted fields, @timestamp the event time, message (or event.original)
// the message.
func Document(doc []byte, index string, received time.Time) (event.Event, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return event.Event{}, fmt.Errorf("not JSON: %w", err)
	}
	if dec.More() {
		return event.Event{}, errors.New("more than one JSON value on the line")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return event.Event{}, errors.New("the document is not a JSON object")
	}
	ev := event.Event{Received: received, Source: event.Source{Kind: event.KindBulk, Name: index}, Fields: map[string]string{}}
	if err := ingest.Flatten(ev.Fields, "", obj); err != nil {
		return event.Event{}, err
	}
	ev.Message = ev.Fields[event.FieldMessage]
	if ev.Message == "" {
		ev.Message = ev.Fields["event.original"]
	}
	ev.Time = received
	if ts := ev.Fields[event.FieldTimestamp]; ts != "" {
		if t, err := parseTime(ts); err == nil {
			ev.Time = t.UTC()
		} else {
			ev.ParseError = "unreadable @timestamp " + strconv.Quote(ts) + "; the receive time is used"
		}
	}
	return ev, nil
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil { // epoch_millis
		return time.UnixMilli(ms), nil
	}
	return time.Time{}, fmt.Errorf("unknown time format")
}
