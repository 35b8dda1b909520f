// Package otlp receives OpenTelemetry logs over HTTP (OTLP/HTTP, POST
// /v1/logs, protobuf or JSON, optionally gzip-compressed). Each log record
// becomes an event: its body the message, its attributes and its
// resource's attributes fields (OpenTelemetry semantic conventions use the
// ECS names for host.name, service.name and most others), its severity
// log.level, its trace and span ids trace.id and span.id. The reply is the
// OTLP ExportLogsServiceResponse, sent only once the events are durable;
// when the sink cannot store them the reply is 503, which OTLP exporters
// retry.
package otlp

import (
	"compress/gzip"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest"
)

// MaxBody bounds a request after decompression.
const MaxBody = 64 << 20

// Options configure a Handler.
type Options struct {
	Sink ingest.Sink
	// Authenticate decides from the request (nil: anyone) and names the
	// source and its unit.
	Authenticate func(r *http.Request) (name string, unitID int64, ok bool)
	Stats        *ingest.Stats
	Now          func() time.Time
}

// Handler serves POST /v1/logs.
type Handler struct{ opts Options }

// New returns a Handler.
func New(opts Options) *Handler {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Stats == nil {
		opts.Stats = new(ingest.Stats)
	}
	return &Handler{opts: opts}
}

// ServeHTTP decodes an export request and stores its records.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST /v1/logs", http.StatusMethodNotAllowed)
		return
	}
	name, unit := "otlp", int64(0)
	if h.opts.Authenticate != nil {
		n, u, ok := h.opts.Authenticate(r)
		if !ok {
			http.Error(w, "invalid credentials", http.StatusUnauthorized)
			return
		}
		name, unit = n, u
	}
	var rd io.Reader = r.Body
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, "gzip: "+err.Error(), http.StatusBadRequest)
			return
		}
		rd = zr
	}
	data, err := io.ReadAll(io.LimitReader(rd, MaxBody+1))
	if err != nil || len(data) > MaxBody {
		http.Error(w, "request too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	isJSON := strings.HasPrefix(r.Header.Get("Content-Type"), "application/json")
	req := plogotlp.NewExportRequest()
	if isJSON {
		err = req.UnmarshalJSON(data)
	} else {
		err = req.UnmarshalProto(data)
	}
	if err != nil {
		http.Error(w, "not an OTLP logs export request: "+err.Error(), http.StatusBadRequest)
		return
	}
	addr := ingest.HostOf(r.RemoteAddr)
	events := Events(req.Logs(), name, addr, h.opts.Now().UTC())
	for i := range events {
		events[i].UnitID = unit
	}
	h.opts.Stats.Bytes.Add(uint64(len(data)))
	if len(events) > 0 {
		if err := h.opts.Sink.Accept(r.Context(), events); err != nil {
			http.Error(w, "Khiên could not store the logs; retry", http.StatusServiceUnavailable)
			return
		}
		h.opts.Stats.Received.Add(uint64(len(events)))
	}
	resp := plogotlp.NewExportResponse()
	var out []byte
	if isJSON {
		out, err = resp.MarshalJSON()
		w.Header().Set("Content-Type", "application/json")
	} else {
		out, err = resp.MarshalProto()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	_, _ = w.Write(out)
}

// Events maps the records of an export request to events.
func Events(ld plog.Logs, name, addr string, received time.Time) []event.Event {
	var out []event.Event
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		res := map[string]string{}
		putAttrs(res, rl.Resource().Attributes())
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			sl := sls.At(j)
			scope := sl.Scope().Name()
			lrs := sl.LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				e := event.Event{Time: received, Received: received,
					Source: event.Source{Kind: event.KindOTLP, Name: name, Addr: addr}, Fields: make(map[string]string, len(res)+8)}
				for key, v := range res {
					e.Fields[key] = v
				}
				putAttrs(e.Fields, lr.Attributes())
				if t := lr.Timestamp(); t != 0 {
					e.Time = t.AsTime().UTC()
				} else if t := lr.ObservedTimestamp(); t != 0 {
					e.Time = t.AsTime().UTC()
				}
				e.Message = valueString(lr.Body())
				e.Set(event.FieldMessage, e.Message)
				if lr.Body().Type() == pcommon.ValueTypeMap {
					putAttrs(e.Fields, lr.Body().Map())
				}
				e.Set(event.FieldLogLevel, strings.ToLower(lr.SeverityText()))
				if n := lr.SeverityNumber(); n != 0 {
					e.Set("otel.severity_number", strconv.Itoa(int(n)))
				}
				if id := lr.TraceID(); !id.IsEmpty() {
					e.Set("trace.id", hex.EncodeToString(id[:]))
				}
				if id := lr.SpanID(); !id.IsEmpty() {
					e.Set("span.id", hex.EncodeToString(id[:]))
				}
				e.Set("otel.scope.name", scope)
				out = append(out, e)
			}
		}
	}
	return out
}

// putAttrs flattens attributes into dotted fields.
func putAttrs(out map[string]string, m pcommon.Map) {
	m.Range(func(k string, v pcommon.Value) bool {
		if k == "" {
			return true
		}
		if v.Type() == pcommon.ValueTypeMap {
			sub := map[string]string{}
			putAttrs(sub, v.Map())
			for sk, sv := range sub {
				out[k+"."+sk] = sv
			}
			return true
		}
		if s := valueString(v); s != "" {
			out[k] = s
		}
		return true
	})
}

// valueString renders a value as text: strings as they are, others as
// OTLP/JSON would.
func valueString(v pcommon.Value) string {
	switch v.Type() {
	case pcommon.ValueTypeEmpty:
		return ""
	case pcommon.ValueTypeStr:
		return v.Str()
	case pcommon.ValueTypeBytes:
		return fmt.Sprintf("%x", v.Bytes().AsRaw())
	default:
		return v.AsString()
	}
}
