package normalize

import (
	"fmt"
	"strings"

	"khien.vn/khien/internal/event"
)

// ECS field names the parsers set that package event does not name.
const (
	FieldEventKind = "event.kind"
	FieldEventType = "event.type"
)

// A Parser normalises the events of one source. Match must be cheap (it is
// called for every event until a parser accepts it) and must not modify the
// event. Parse adds ECS and vendor fields; it must not change
// Event.Message nor remove fields, and returns an error saying what it could
// not read (the fields it set before that stay). It may set again an ECS
// field the listener set when it knows better (log.level from the
// vendor's own level, event.code, event.outcome), may set Event.Time from
// a timestamp with a zone in the log itself, and may replace e.Fields with
// a larger map holding the same entries. Dataset is the ECS event.dataset
// the parser's events get ("fortinet.firewall"); its part before the first
// dot is event.module.
//
// Parsers keep no state between calls and are safe for concurrent use.
type Parser interface {
	Name() string
	Dataset() string
	Match(e *event.Event) bool
	Parse(e *event.Event) error
}

// Registry picks a parser for each event. It is immutable once built and
// safe for concurrent use.
type Registry struct {
	parsers []Parser
}

// New returns a registry that tries the parsers in the given order.
func New(parsers ...Parser) *Registry {
	return &Registry{parsers: append([]Parser(nil), parsers...)}
}

// Builtin returns the built-in parsers in the order Default tries them:
// Windows parsers first (they match on winlog.channel and event.provider,
// which no line has), then the firewall formats with strong signatures,
// then the Linux parsers chosen by process name or audit header, then the
// web and DNS line shapes, which are the loosest.
func Builtin() []Parser {
	return []Parser{
		WindowsSecurity{},
		Sysmon{},
		PowerShell{},
		Defender{},
		FortiGate{},
		PANOS{},
		ASA{},
		SSHD{},
		Sudo{},
		Auditd{},
		BIND{},
		WindowsDNS{},
		Squid{},
		AccessLog{},
	}
}

// Default returns a registry with the built-in parsers (see Builtin).
func Default() *Registry { return New(Builtin()...) }

// Parsers returns the registry's parsers in matching order.
func (r *Registry) Parsers() []Parser { return append([]Parser(nil), r.parsers...) }

// Normalize gives e to the first parser that matches it and returns that
// parser's name, or "" when none matched (e is then left as it was). It
// does not keep e. The
// matched parser's dataset and module are set in event.dataset and
// event.module, and event.kind is "event" unless the parser says otherwise.
// When the parser fails, or panics, e keeps every field set so far and
// Event.ParseError says which parser failed and why (appended to any
// ParseError the event already had).
func (r *Registry) Normalize(e *event.Event) string {
	for _, p := range r.parsers {
		if p.Match(e) {
			run(p, e)
			return p.Name()
		}
	}
	return ""
}

// NormalizeBatch normalises every event of batch in place and returns how
// many got a new parse error.
func (r *Registry) NormalizeBatch(batch []event.Event) (parseErrors int) {
	for i := range batch {
		before := len(batch[i].ParseError)
		r.Normalize(&batch[i])
		if len(batch[i].ParseError) != before {
			parseErrors++
		}
	}
	return parseErrors
}

func run(p Parser, e *event.Event) {
	defer func() {
		if v := recover(); v != nil {
			addParseError(e, p.Name(), fmt.Errorf("internal error: %v", v))
		}
	}()
	if e.Fields == nil {
		e.Fields = make(map[string]string, 32)
	}
	ds := p.Dataset()
	e.Fields[event.FieldEventDataset] = ds
	if i := strings.IndexByte(ds, '.'); i > 0 {
		e.Fields[event.FieldEventModule] = ds[:i]
	}
	e.Fields[FieldEventKind] = "event"
	if err := p.Parse(e); err != nil {
		addParseError(e, p.Name(), err)
	}
}

func addParseError(e *event.Event, name string, err error) {
	msg := "normalize " + name + ": " + err.Error()
	if e.ParseError != "" {
		e.ParseError += "; " + msg
		return
	}
	e.ParseError = msg
}
