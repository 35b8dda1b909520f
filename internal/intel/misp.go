package intel

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MISP events (https://www.misp-project.org/datamodels/): reading the
// indicators of an event, reading MISP feeds (MISPFeed), writing
// indicators as an event (WriteMISPEvent).
//
// Reading. Only attributes flagged to_ids are indicators; the others are
// context and are skipped ("to_ids is false"). Attribute types map to
// Khiên types (mispComparisons); composite types become patterns:
//
//	ip-src|port, ip-dst|port     the address only
//	filename|md5 … |sha512       [[hash AND file name]] (one conjunction, hash first)
//	domain|ip                    [[domain] OR [ip]]: one indicator, two conjunctions
//
// domain|ip is one indicator, not two, so that it keeps the attribute's
// UUID as its ExternalID (storage merges repeated imports by it) and so
// that writing it back gives the same attribute; OR rather than AND
// because either half alone (a DNS query, a connection) is worth a match.
//
// A MISP object is one indicator (ExternalID: the object's UUID), as
// MISP's own STIX export treats it: its to_ids attributes of the same
// Khiên type are alternatives, those of different types are all required,
// so a domain-ip object {domain d, ip a, ip b} is [[d AND a] OR [d AND b]]
// and a file object {filename f, sha256 h} is [[h AND f]]: in each
// conjunction the most specific type comes first (hashes, URL, domain,
// IP, network, e-mail, file name), to be the indicator's Type and Value.

// mispMaxDocument bounds what is read of one MISP document (event,
// manifest; its hashes.csv is a digest of every attribute value for
// look-ups, not a list of file hashes, and is not read).
const mispMaxDocument = 64 << 20

// mispMaxConjunctions bounds the conjunctions an object expands to.
const mispMaxConjunctions = 64

// mispNamespace is the UUIDv5 namespace of the UUIDs WriteMISPEvent
// derives.
const mispNamespace = "a569c0a5-bfdf-4efe-9781-5aebcfa314f2"

// ParseMISPEvent reads a MISP event in JSON — {"Event": {…}}, a bare
// event object, or a search result {"response": [{"Event": …}, …]} — and
// returns its indicators: the to_ids attributes of the event and of its
// objects whose types map to Khiên types (see the comment at the top of
// misp.go). Values are normalised; attributes that are not indicators or
// whose values are invalid are Skipped with the reason, Ref naming the
// attribute's UUID.
//
// Indicators get ExternalID = the attribute (object) UUID, Name = the
// event info, Description = the comment, Labels = the event's and
// attribute's tags but tlp:*, TLP from a tlp:* tag (the attribute's over
// the event's; tlp:white is clear) else o's default, Confidence from a
// misp:confidence-level or admiralty-scale:information-credibility tag
// (the attribute's over the event's) else o.DefaultConfidence, ValidFrom
// from first_seen else the timestamp (unless that is after last_seen),
// ValidUntil from last_seen, Revoked from deleted, CreatedAt and
// UpdatedAt o.Now, and Source = o.Source + " / " + the creator
// organisation's name (either alone when the other is empty; "MISP" when
// both are). An attribute without UUID gets one derived from the event
// UUID and its pattern.
//
// It fails only on input that is not a MISP document: not JSON, more than
// 64 MiB, no event in it.
func ParseMISPEvent(r io.Reader, o ImportOptions) (Batch, error) {
	data, err := mispReadAll(r)
	if err != nil {
		return Batch{}, fmt.Errorf("read misp event: %w", err)
	}
	events, err := mispEvents(data)
	if err != nil {
		return Batch{}, fmt.Errorf("read misp event: %w", err)
	}
	p := mispParser{o: o, now: o.now()}
	for i, raw := range events {
		var ev mispEventIn
		if err := json.Unmarshal(raw, &ev); err != nil {
			if len(events) == 1 {
				return Batch{}, fmt.Errorf("read misp event: %w", err)
			}
			p.skips.add(fmt.Sprintf("response[%d]", i), "malformed event: "+err.Error())
			continue
		}
		p.event(&ev)
	}
	return Batch{Indicators: p.inds, Skipped: p.skips.list()}, nil
}

// mispReadAll reads r whole, failing beyond mispMaxDocument.
func mispReadAll(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, mispMaxDocument+1))
	if err != nil {
		return nil, err
	}
	if len(data) > mispMaxDocument {
		return nil, fmt.Errorf("larger than %d MiB", mispMaxDocument>>20)
	}
	return data, nil
}

// mispEvents finds the event objects of a document.
func mispEvents(data []byte) ([]json.RawMessage, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, errors.New("empty document")
	}
	unwrap := func(items []json.RawMessage) []json.RawMessage {
		out := make([]json.RawMessage, 0, len(items))
		for _, it := range items {
			var w struct {
				Event json.RawMessage `json:"Event"`
			}
			if json.Unmarshal(it, &w) == nil && len(w.Event) > 0 && w.Event[0] == '{' {
				out = append(out, w.Event)
			} else {
				out = append(out, it)
			}
		}
		return out
	}
	if data[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(data, &items); err != nil {
			return nil, err
		}
		return unwrap(items), nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, err
	}
	if ev, ok := top["Event"]; ok {
		if len(ev) == 0 || ev[0] != '{' {
			return nil, errors.New("Event is not an object")
		}
		return []json.RawMessage{ev}, nil
	}
	if resp, ok := top["response"]; ok {
		var items []json.RawMessage
		if err := json.Unmarshal(resp, &items); err != nil {
			return nil, fmt.Errorf("response is not a list of events: %w", err)
		}
		return unwrap(items), nil
	}
	for _, k := range []string{"Attribute", "Object", "info", "uuid"} {
		if _, ok := top[k]; ok {
			return []json.RawMessage{data}, nil
		}
	}
	return nil, errors.New("not a MISP event: no Event, response or Attribute")
}

// mispStr is a JSON string, number, boolean or null read as a string:
// MISP writes numbers as strings and some exporters the reverse.
type mispStr string

func (s *mispStr) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*s = ""
	case b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = mispStr(v)
	case b[0] == '{' || b[0] == '[':
		return errors.New("expected a string")
	default:
		*s = mispStr(b)
	}
	return nil
}

func (s mispStr) String() string { return strings.TrimSpace(string(s)) }

// mispBool is a JSON boolean, also written as 0/1 or "0"/"1".
type mispBool bool

func (v *mispBool) UnmarshalJSON(b []byte) error {
	switch strings.ToLower(strings.Trim(string(bytes.TrimSpace(b)), `"`)) {
	case "true", "1":
		*v = true
	case "false", "0", "", "null":
		*v = false
	default:
		return fmt.Errorf("expected a boolean, got %.20s", b)
	}
	return nil
}

// mispTags are tag names from a Tag list; malformed entries are ignored.
type mispTags []string

func (t *mispTags) UnmarshalJSON(b []byte) error {
	var items []json.RawMessage
	if err := json.Unmarshal(b, &items); err != nil {
		return nil // a malformed tag list is no tags
	}
	*t = (*t)[:0]
	for _, it := range items {
		var tag struct {
			Name mispStr `json:"name"`
		}
		var s string
		if json.Unmarshal(it, &tag) == nil && tag.Name.String() != "" {
			*t = append(*t, tag.Name.String())
		} else if json.Unmarshal(it, &s) == nil && strings.TrimSpace(s) != "" {
			*t = append(*t, strings.TrimSpace(s))
		}
	}
	return nil
}

// mispList is a list of objects decoded one by one, so that one bad
// attribute costs only itself.
type mispList []json.RawMessage

func (l *mispList) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		*l = nil
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(b, &items); err != nil {
		return errors.New("expected a list")
	}
	*l = items
	return nil
}

type mispEventIn struct {
	UUID      mispStr `json:"uuid"`
	Info      mispStr `json:"info"`
	Timestamp mispStr `json:"timestamp"`
	Orgc      struct {
		Name mispStr `json:"name"`
	} `json:"Orgc"`
	Tag       mispTags `json:"Tag"`
	Attribute mispList `json:"Attribute"`
	Object    mispList `json:"Object"`
}

type mispAttrIn struct {
	UUID      mispStr  `json:"uuid"`
	Type      mispStr  `json:"type"`
	Value     mispStr  `json:"value"`
	ToIDS     mispBool `json:"to_ids"`
	Comment   mispStr  `json:"comment"`
	Timestamp mispStr  `json:"timestamp"`
	FirstSeen mispStr  `json:"first_seen"`
	LastSeen  mispStr  `json:"last_seen"`
	Deleted   mispBool `json:"deleted"`
	Tag       mispTags `json:"Tag"`
}

type mispObjectIn struct {
	UUID      mispStr  `json:"uuid"`
	Comment   mispStr  `json:"comment"`
	Timestamp mispStr  `json:"timestamp"`
	FirstSeen mispStr  `json:"first_seen"`
	LastSeen  mispStr  `json:"last_seen"`
	Deleted   mispBool `json:"deleted"`
	Attribute mispList `json:"Attribute"`
}

// mispParser collects the indicators of the events of one document.
type mispParser struct {
	o     ImportOptions
	now   time.Time
	inds  []Indicator
	skips skipTally

	// of the current event
	evUUID, name, source string
	evTags               []string
	evTime               time.Time
}

func (p *mispParser) event(ev *mispEventIn) {
	p.evUUID, p.name, p.evTags = ev.UUID.String(), ev.Info.String(), ev.Tag
	p.evTime = mispTime(ev.Timestamp.String())
	p.source = p.o.Source
	if org := ev.Orgc.Name.String(); org != "" && org != p.source {
		if p.source != "" {
			p.source += " / " + org
		} else {
			p.source = org
		}
	}
	if p.source == "" {
		p.source = "MISP"
	}
	for i, raw := range ev.Attribute {
		var a mispAttrIn
		if err := json.Unmarshal(raw, &a); err != nil {
			p.skips.add(fmt.Sprintf("Attribute[%d]", i), "malformed attribute: "+err.Error())
			continue
		}
		ref := cmp.Or(a.UUID.String(), fmt.Sprintf("Attribute[%d]", i))
		if !a.ToIDS {
			p.skips.add(ref, "to_ids is false")
			continue
		}
		cmps, alt, err := mispComparisons(a.Type.String(), a.Value.String())
		if err != nil {
			p.skips.add(ref, err.Error())
			continue
		}
		pattern := [][]Comparison{cmps}
		if alt {
			pattern = pattern[:0]
			for _, c := range cmps {
				pattern = append(pattern, []Comparison{c})
			}
		}
		ind := p.indicator(pattern, a.UUID.String(), a.Tag)
		ind.Description = a.Comment.String()
		ind.ValidFrom, ind.ValidUntil = mispValidity(mispTime(a.FirstSeen.String()),
			mispFirstTime(mispTime(a.Timestamp.String()), p.evTime), mispTime(a.LastSeen.String()))
		ind.Revoked = bool(a.Deleted)
		p.inds = append(p.inds, ind)
	}
	for i, raw := range ev.Object {
		var obj mispObjectIn
		if err := json.Unmarshal(raw, &obj); err != nil {
			p.skips.add(fmt.Sprintf("Object[%d]", i), "malformed object: "+err.Error())
			continue
		}
		p.object(i, &obj)
	}
}

// object adds the indicator of one MISP object.
func (p *mispParser) object(i int, obj *mispObjectIn) {
	type part struct {
		ref  string
		a    mispAttrIn
		cmps []Comparison
	}
	var live, deleted []part
	for j, raw := range obj.Attribute {
		var a mispAttrIn
		if err := json.Unmarshal(raw, &a); err != nil {
			p.skips.add(fmt.Sprintf("Object[%d].Attribute[%d]", i, j), "malformed attribute: "+err.Error())
			continue
		}
		ref := cmp.Or(a.UUID.String(), fmt.Sprintf("Object[%d].Attribute[%d]", i, j))
		if !a.ToIDS {
			p.skips.add(ref, "to_ids is false")
			continue
		}
		cmps, _, err := mispComparisons(a.Type.String(), a.Value.String())
		if err != nil {
			p.skips.add(ref, err.Error())
			continue
		}
		if a.Deleted {
			deleted = append(deleted, part{ref, a, cmps})
		} else {
			live = append(live, part{ref, a, cmps})
		}
	}
	revoked := bool(obj.Deleted)
	use := live
	switch {
	case revoked || len(live) == 0:
		// A deleted object, or one whose indicator attributes are all
		// deleted: the whole indicator is revoked.
		use = append(live, deleted...)
		revoked = true
	default:
		for _, d := range deleted {
			p.skips.add(d.ref, "deleted")
		}
	}
	if len(use) == 0 {
		return
	}
	ref := cmp.Or(obj.UUID.String(), fmt.Sprintf("Object[%d]", i))

	// Group the values by type, in order of first appearance: values of
	// one type are alternatives, types are all required.
	var groups [][]Comparison
	for _, pt := range use {
		for _, c := range pt.cmps {
			k := slices.IndexFunc(groups, func(g []Comparison) bool { return g[0].Type == c.Type })
			switch {
			case k < 0:
				groups = append(groups, []Comparison{c})
			case !slices.Contains(groups[k], c):
				groups[k] = append(groups[k], c)
			}
		}
	}
	// The strongest type first: it becomes the indicator's Type and Value,
	// by which lists show and look-ups find it.
	slices.SortStableFunc(groups, func(a, b []Comparison) int {
		return cmp.Compare(slices.Index(mispTypeOrder, a[0].Type), slices.Index(mispTypeOrder, b[0].Type))
	})
	n := 1
	for _, g := range groups {
		n *= len(g)
		if n > mispMaxConjunctions {
			p.skips.add(ref, fmt.Sprintf("object has more than %d combinations of values", mispMaxConjunctions))
			return
		}
	}
	pattern := [][]Comparison{nil}
	for _, g := range groups {
		next := make([][]Comparison, 0, len(pattern)*len(g))
		for _, conj := range pattern {
			for _, c := range g {
				next = append(next, append(slices.Clip(conj), c))
			}
		}
		pattern = next
	}

	var tags []string
	var tlp TLP
	comment := obj.Comment.String()
	var first, last, stamp time.Time
	for _, pt := range use {
		for _, t := range pt.a.Tag {
			if l, ok := mispTLPTag(t); ok {
				if l.Rank() > tlp.Rank() {
					tlp = l
				}
			} else if !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		}
		comment = cmp.Or(comment, pt.a.Comment.String())
		first = mispEarliest(first, mispTime(pt.a.FirstSeen.String()))
		last = mispLatest(last, mispTime(pt.a.LastSeen.String()))
		stamp = mispLatest(stamp, mispTime(pt.a.Timestamp.String()))
	}
	ind := p.indicator(pattern, obj.UUID.String(), tags)
	if tlp != "" {
		ind.TLP = tlp
	}
	ind.Description = comment
	ind.ValidFrom, ind.ValidUntil = mispValidity(mispFirstTime(mispTime(obj.FirstSeen.String()), first),
		mispFirstTime(mispTime(obj.Timestamp.String()), stamp, p.evTime),
		mispFirstTime(mispTime(obj.LastSeen.String()), last))
	ind.Revoked = revoked
	p.inds = append(p.inds, ind)
}

// indicator builds an indicator of the current event from a pattern and
// the tags of its attribute(s).
func (p *mispParser) indicator(pattern [][]Comparison, uuid string, tags []string) Indicator {
	ind := Indicator{
		UnitID:     p.o.UnitID,
		Type:       pattern[0][0].Type,
		Value:      pattern[0][0].Value,
		Pattern:    pattern,
		Name:       p.name,
		Source:     p.source,
		ExternalID: uuid,
		TLP:        p.o.defaultTLP(),
		Confidence: p.o.DefaultConfidence,
		CreatedAt:  p.now,
		UpdatedAt:  p.now,
	}
	if ind.ExternalID == "" {
		// Without a UUID, one derived from the event and pattern keeps
		// repeated imports merging.
		ind.ExternalID = mispUUID5("attribute\n" + p.evUUID + "\n" + mispPatternKey(pattern))
	}
	if l, ok := mispTLPOf(p.evTags); ok {
		ind.TLP = l
	}
	if l, ok := mispTLPOf(tags); ok {
		ind.TLP = l
	}
	if c, ok := mispConfidenceOf(p.evTags); ok {
		ind.Confidence = c
	}
	if c, ok := mispConfidenceOf(tags); ok {
		ind.Confidence = c
	}
	for _, t := range slices.Concat(p.evTags, tags) {
		if _, ok := mispTLPTag(t); !ok && !slices.Contains(ind.Labels, t) {
			ind.Labels = append(ind.Labels, t)
		}
	}
	return ind
}

// mispTypeOrder orders the comparisons of an object's conjunctions,
// the most specific first.
var mispTypeOrder = []Type{SHA256, SHA512, SHA1, MD5, URL, Domain, IP, CIDR, Email, FileName}

// mispComparisons maps a MISP attribute to comparisons. alt reports that
// they are alternatives (domain|ip) rather than all required.
func mispComparisons(typ, value string) (cmps []Comparison, alt bool, err error) {
	one := func(t Type, v string) ([]Comparison, bool, error) {
		n, err := canonicalValue(t, v)
		if err != nil {
			return nil, false, err
		}
		return []Comparison{{t, n}}, false, nil
	}
	ip := func(v string) ([]Comparison, bool, error) {
		if strings.Contains(v, "/") {
			return one(CIDR, v)
		}
		return one(IP, v)
	}
	split := func() (string, string, error) {
		i := strings.LastIndexByte(value, '|')
		if i < 0 {
			return "", "", fmt.Errorf("%s value %q has no '|'", typ, value)
		}
		return value[:i], value[i+1:], nil
	}
	switch typ {
	case "ip-src", "ip-dst":
		return ip(value)
	case "ip-src|port", "ip-dst|port":
		a, _, err := split()
		if err != nil {
			return nil, false, err
		}
		return ip(a)
	case "domain", "hostname":
		return one(Domain, value)
	case "hostname|port":
		h, _, err := split()
		if err != nil {
			return nil, false, err
		}
		return one(Domain, h)
	case "domain|ip":
		d, a, err := split()
		if err != nil {
			return nil, false, err
		}
		dc, _, err := one(Domain, d)
		if err != nil {
			return nil, false, err
		}
		ac, _, err := ip(a)
		if err != nil {
			return nil, false, err
		}
		return append(dc, ac...), true, nil
	case "url":
		return one(URL, value)
	case "uri":
		if _, err := Normalize(URL, value); err != nil {
			return nil, false, errors.New("uri is not absolute")
		}
		return one(URL, value)
	case "md5", "sha1", "sha256", "sha512":
		return one(Type(typ), value)
	case "filename":
		return one(FileName, value)
	case "filename|md5", "filename|sha1", "filename|sha256", "filename|sha512":
		name, h, err := split()
		if err != nil {
			return nil, false, err
		}
		hc, _, err := one(Type(strings.TrimPrefix(typ, "filename|")), h)
		if err != nil {
			return nil, false, err
		}
		nc, _, err := one(FileName, name)
		if err != nil {
			return nil, false, err
		}
		return append(hc, nc...), false, nil
	case "email", "email-src", "email-dst":
		return one(Email, value)
	}
	if typ == "" {
		return nil, false, errors.New("no type")
	}
	return nil, false, fmt.Errorf("unsupported MISP type %s", typ)
}

// canonicalValue is Normalize, refusing any value whose normal form
// would not normalise to itself, so that every value the importers
// return is canonical even where Normalize has a gap.
func canonicalValue(t Type, v string) (string, error) {
	n, err := Normalize(t, v)
	if err != nil {
		return "", err
	}
	if m, err := Normalize(t, n); err != nil || m != n {
		return "", fmt.Errorf("%s value %q has no stable normal form", t, v)
	}
	return n, nil
}

// mispTLPTag reads a tlp:* tag.
func mispTLPTag(tag string) (TLP, bool) {
	rest, ok := strings.CutPrefix(strings.ToLower(strings.TrimSpace(tag)), "tlp:")
	if !ok {
		return "", false
	}
	switch strings.Trim(rest, `" `) {
	case "white", "clear":
		return TLPClear, true
	case "green":
		return TLPGreen, true
	case "amber":
		return TLPAmber, true
	case "amber+strict", "amber-strict":
		return TLPAmberStrict, true
	case "red":
		return TLPRed, true
	}
	return "", false
}

// mispTLPOf returns the most restrictive TLP of tags.
func mispTLPOf(tags []string) (TLP, bool) {
	var best TLP
	for _, t := range tags {
		if l, ok := mispTLPTag(t); ok && l.Rank() > best.Rank() {
			best = l
		}
	}
	return best, best != ""
}

// mispConfidenceOf reads a confidence from a misp:confidence-level tag
// (the taxonomy's numerical values) or else an
// admiralty-scale:information-credibility tag (mapped as STIX 2.1
// appendix A maps the Admiralty credibility scale; 6, "truth cannot be
// judged", is no value).
func mispConfidenceOf(tags []string) (int, bool) {
	admiralty, found := 0, false
	for _, t := range tags {
		pred, val, ok := strings.Cut(strings.ToLower(strings.TrimSpace(t)), "=")
		if !ok {
			continue
		}
		val = strings.Trim(val, `" `)
		switch pred {
		case "misp:confidence-level":
			if c, ok := map[string]int{
				"completely-confident": 100, "usually-confident": 75, "fairly-confident": 50,
				"rarely-confident": 25, "unconfident": 0,
				"confidence-cannot-be-evalued": 50, "confidence-cannot-be-evaluated": 50,
			}[val]; ok {
				return c, true
			}
		case "admiralty-scale:information-credibility":
			if c, ok := map[string]int{"1": 90, "2": 70, "3": 50, "4": 30, "5": 10}[val]; ok && !found {
				admiralty, found = c, true
			}
		}
	}
	return admiralty, found
}

// mispTime reads a MISP time: seconds since the epoch (timestamp),
// microseconds since the epoch or ISO 8601 (first_seen, last_seen), or a
// date. Zero when absent or unreadable.
func mispTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	var t time.Time
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		switch {
		case n <= 0:
			return time.Time{}
		case n >= 1e17:
			t = time.Unix(0, n)
		case n >= 1e14:
			t = time.UnixMicro(n)
		case n >= 1e11:
			t = time.UnixMilli(n)
		default:
			t = time.Unix(n, 0)
		}
	} else {
		for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
			if t, err = time.Parse(layout, s); err == nil {
				break
			}
		}
		if err != nil {
			return time.Time{}
		}
	}
	if t.Year() < 1 || t.Year() > 9999 {
		return time.Time{}
	}
	return t.UTC()
}

// mispValidity is ValidFrom and ValidUntil from first_seen, else the
// timestamp, and last_seen. The timestamp is when the attribute last
// changed, which may be after last_seen (an old attribute tagged again):
// then it is no start.
func mispValidity(firstSeen, stamp, lastSeen time.Time) (from, until time.Time) {
	from = firstSeen
	if from.IsZero() && (lastSeen.IsZero() || stamp.Before(lastSeen)) {
		from = stamp
	}
	return from, lastSeen
}

// mispFirstTime returns the first non-zero time of ts.
func mispFirstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

func mispEarliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func mispLatest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// patternKey is a canonical text of a pattern.
func mispPatternKey(pattern [][]Comparison) string {
	var sb strings.Builder
	for i, conj := range pattern {
		if i > 0 {
			sb.WriteString(" OR ")
		}
		for j, c := range conj {
			if j > 0 {
				sb.WriteString(" AND ")
			}
			sb.WriteString(string(c.Type) + "=" + c.Value)
		}
	}
	return sb.String()
}

// mispUUID5 derives a UUID (version 5, RFC 9562) from name in the
// Khiên MISP namespace.
func mispUUID5(name string) string {
	ns, _ := hex.DecodeString(strings.ReplaceAll(mispNamespace, "-", ""))
	h := sha1.New()
	h.Write(ns)
	h.Write([]byte(name))
	s := h.Sum(nil)[:16]
	s[6] = s[6]&0x0f | 0x50
	s[8] = s[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
}

// isUUID reports whether s is a UUID in its usual text form.
func mispIsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// skipTally gathers Skips, keeping the first maxSkipsKept and counting
// the rest, so that a huge bad document gives a readable report.
type skipTally struct {
	skips   []Skip
	dropped int
}

const maxSkipsKept = 1000

func (c *skipTally) add(ref, reason string) {
	if len(c.skips) < maxSkipsKept {
		c.skips = append(c.skips, Skip{Ref: ref, Reason: reason})
		return
	}
	c.dropped++
}

func (c *skipTally) list() []Skip {
	if c.dropped > 0 {
		return append(slices.Clip(c.skips), Skip{Ref: "…", Reason: fmt.Sprintf("%d more skipped", c.dropped)})
	}
	return c.skips
}

// MISPFeed reads a MISP feed: a directory served over HTTP(S) holding
// manifest.json (event UUID → info, timestamp, …) and one {uuid}.json
// event file per event, as MISP and PyMISP's feed generator publish them
// (the CIRCL and Botvrij OSINT feeds, for example).
type MISPFeed struct {
	// BaseURL is the feed's directory ("https://www.circl.lu/doc/misp/feed-osint").
	BaseURL string
	// HTTP is the client to use; nil: a client with a 5-minute timeout.
	HTTP *http.Client
}

// Fetch reads the manifest and, oldest first, each event whose timestamp
// is after since (all of them when since is zero, and those without a
// timestamp), parses it with ParseMISPEvent and passes its batch to fn.
// Because events come in timestamp order, a caller interrupted by an
// error resumes without loss by fetching again with since one second
// before the timestamp of the last event fn accepted (that event is read
// again; importing is an upsert).
//
// An event that is gone (404, 410), larger than 64 MiB or not a MISP
// event, and a manifest key that is not a UUID, reach fn as a batch with
// only a Skip naming it. Any other HTTP status, a transport error or an
// error from fn stops Fetch, which returns it naming the host.
func (f MISPFeed) Fetch(ctx context.Context, since time.Time, o ImportOptions, fn func(Batch) error) error {
	base, err := url.Parse(strings.TrimSpace(f.BaseURL))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return fmt.Errorf("misp feed: base URL %q is not an http(s) URL", f.BaseURL)
	}
	client := f.HTTP
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Minute}
	}
	data, status, err := mispGet(ctx, client, base.JoinPath("manifest.json"))
	if err != nil {
		return fmt.Errorf("misp feed %s: manifest: %w", base.Host, err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("misp feed %s: manifest: %d %s", base.Host, status, http.StatusText(status))
	}
	var manifest map[string]json.RawMessage
	if err := json.Unmarshal(data, &manifest); err != nil {
		return fmt.Errorf("misp feed %s: manifest: %w", base.Host, err)
	}
	type entry struct {
		uuid string
		ts   time.Time
	}
	var todo []entry
	var bad Batch
	for id, raw := range manifest {
		if !mispIsUUID(id) {
			bad.Skipped = append(bad.Skipped, Skip{Ref: id, Reason: "manifest key is not a UUID"})
			continue
		}
		var meta struct {
			Timestamp mispStr `json:"timestamp"`
		}
		_ = json.Unmarshal(raw, &meta) // no usable timestamp: fetched
		ts := mispTime(meta.Timestamp.String())
		if !since.IsZero() && !ts.IsZero() && !ts.After(since) {
			continue
		}
		todo = append(todo, entry{id, ts})
	}
	slices.SortFunc(todo, func(a, b entry) int { return cmp.Or(a.ts.Compare(b.ts), strings.Compare(a.uuid, b.uuid)) })
	if len(bad.Skipped) > 0 {
		slices.SortFunc(bad.Skipped, func(a, b Skip) int { return strings.Compare(a.Ref, b.Ref) })
		if err := fn(bad); err != nil {
			return err
		}
	}
	for _, e := range todo {
		data, status, err := mispGet(ctx, client, base.JoinPath(e.uuid+".json"))
		var b Batch
		switch {
		case errors.Is(err, errMISPTooLarge):
			b.Skipped = []Skip{{Ref: e.uuid, Reason: err.Error()}}
		case err != nil:
			return fmt.Errorf("misp feed %s: event %s: %w", base.Host, e.uuid, err)
		case status == http.StatusNotFound || status == http.StatusGone:
			b.Skipped = []Skip{{Ref: e.uuid, Reason: fmt.Sprintf("%s: %d %s", base.Host, status, http.StatusText(status))}}
		case status != http.StatusOK:
			return fmt.Errorf("misp feed %s: event %s: %d %s", base.Host, e.uuid, status, http.StatusText(status))
		default:
			b, err = ParseMISPEvent(bytes.NewReader(data), o)
			if err != nil {
				b = Batch{Skipped: []Skip{{Ref: e.uuid, Reason: err.Error()}}}
			}
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	return nil
}

var errMISPTooLarge = fmt.Errorf("larger than %d MiB", mispMaxDocument>>20)

// mispGet GETs u and returns its body (bounded) and status.
func mispGet(ctx context.Context, client *http.Client, u *url.URL) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, resp.StatusCode, nil
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, mispMaxDocument+1))
	if err != nil {
		return nil, 0, err
	}
	if len(data) > mispMaxDocument {
		return nil, 0, errMISPTooLarge
	}
	return data, resp.StatusCode, nil
}

// clipText shortens s to at most n bytes (plus an ellipsis).
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// WriteMISPEvent writes inds as one MISP event in JSON ({"Event": …}),
// ready for MISP's event import or a feed directory. The event's UUID
// is derived from the indicators' ExternalIDs (else their patterns), so
// writing the same indicators again gives the same event; it carries
// info, the date and timestamp of o.Now, Orgc = o.Identity (empty:
// "Khiên"), threat level
// "undefined", analysis "completed", a distribution and a tlp:* tag from
// the most restrictive TLP of the indicators (clear: all communities,
// green: this community, else your organisation only).
//
// Each conjunction of an indicator's pattern becomes one attribute
// (to_ids, with its TLP and labels as tags, comment = Description,
// first_seen/last_seen = validity, deleted = Revoked) or, with several
// comparisons, a composite filename|<hash> attribute (a hash and a file
// name) or an object (file, domain-ip, url, or else a template-less
// "indicator" object); an indicator [[domain] OR [ip]] becomes one
// domain|ip attribute. The first attribute (object) of an indicator has
// its ExternalID as UUID when that is a UUID (or a STIX id "type--UUID").
// ParseMISPEvent reads the result back to the same patterns and TLPs,
// except that the comparisons of a conjunction come back most specific
// first, two comparisons of one type in one conjunction come back as
// alternatives, and an indicator of several conjunctions comes back as
// several indicators.
//
// sightings (of inds' IDs; others are left out) go with the first
// attribute of their indicator, one MISP sighting each (type 0, dated by
// its last time, its count and first time in the source), as
// WriteSTIXBundle shares them: hosts, fields and values stay home.
func WriteMISPEvent(w io.Writer, info string, inds []Indicator, sightings []Sighting, o ExportOptions) error {
	info = strings.TrimSpace(info)
	if info == "" {
		return errors.New("write misp event: empty info")
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	t := now().UTC()
	ev := mispOutEvent{
		Info:          info,
		Date:          t.Format(time.DateOnly),
		Timestamp:     strconv.FormatInt(t.Unix(), 10),
		ThreatLevelID: "4",
		Analysis:      "2",
		Attribute:     []mispOutAttr{},
		Object:        []mispOutObject{},
	}
	id := cmp.Or(strings.TrimSpace(o.Identity), "Khiên")
	ev.Orgc = &mispOutOrg{Name: id, UUID: mispUUID5("organisation\n" + id)}
	keys := make([]string, 0, len(inds))
	used := map[string]bool{}
	uniq := func(id string) string {
		for n := 1; used[id]; n++ {
			id = mispUUID5(fmt.Sprintf("%s\n%d", id, n))
		}
		used[id] = true
		return id
	}
	bySighting := map[int64][]Sighting{}
	for _, sg := range sightings {
		bySighting[sg.IndicatorID] = append(bySighting[sg.IndicatorID], sg)
	}
	var most TLP
	type attach struct {
		attrs, objs int // the lengths of ev.Attribute and ev.Object before the indicator
		sgs         []Sighting
	}
	var attaches []attach
	for i, ind := range inds {
		if sgs := bySighting[ind.ID]; len(sgs) > 0 && ind.ID != 0 {
			attaches = append(attaches, attach{len(ev.Attribute), len(ev.Object), sgs})
		}
		pattern := ind.Pattern
		if len(pattern) == 0 {
			pattern = [][]Comparison{{{ind.Type, ind.Value}}}
		}
		for _, conj := range pattern {
			if len(conj) == 0 {
				return fmt.Errorf("write misp event: indicator %d: empty conjunction", i)
			}
			for _, c := range conj {
				if !c.Type.Valid() || strings.TrimSpace(c.Value) == "" {
					return fmt.Errorf("write misp event: indicator %d: invalid comparison %s %q", i, c.Type, c.Value)
				}
			}
		}
		key := cmp.Or(ind.ExternalID, mispPatternKey(pattern))
		keys = append(keys, key)
		if ind.TLP.Rank() > most.Rank() {
			most = ind.TLP
		}
		first := mispUUID5("attribute\n" + key)
		if id := strings.ToLower(ind.ExternalID); mispIsUUID(id) {
			first = id
		} else if _, after, ok := strings.Cut(id, "--"); ok && mispIsUUID(after) {
			first = after
		}

		var tags []mispOutTag
		if ind.TLP.Rank() > 0 {
			tags = append(tags, mispOutTag{Name: mispTLPName(ind.TLP)})
		}
		for _, l := range ind.Labels {
			if _, isTLP := mispTLPTag(l); !isTLP && strings.TrimSpace(l) != "" {
				tags = append(tags, mispOutTag{Name: l})
			}
		}
		base := mispOutAttr{
			ToIDS:        true,
			Comment:      ind.Description,
			Distribution: "5", // inherit the event's
			Timestamp:    strconv.FormatInt(cmp.Or(ind.UpdatedAt, t).Unix(), 10),
			FirstSeen:    mispFormatTime(ind.ValidFrom),
			LastSeen:     mispFormatTime(ind.ValidUntil),
			Deleted:      ind.Revoked,
			Tag:          tags,
		}
		attr := func(id, typ, category, value string) mispOutAttr {
			a := base
			a.UUID, a.Type, a.Category, a.Value = id, typ, category, value
			return a
		}

		if len(pattern) == 2 && len(pattern[0]) == 1 && len(pattern[1]) == 1 &&
			pattern[0][0].Type == Domain && (pattern[1][0].Type == IP || pattern[1][0].Type == CIDR) {
			ev.Attribute = append(ev.Attribute, attr(uniq(first), "domain|ip", "Network activity",
				pattern[0][0].Value+"|"+pattern[1][0].Value))
			continue
		}
		for k, conj := range pattern {
			id := first
			if k > 0 {
				id = mispUUID5(fmt.Sprintf("attribute\n%s\n%d", key, k))
			}
			id = uniq(id)
			switch {
			case len(conj) == 1:
				typ, category := mispOutType(conj[0].Type)
				ev.Attribute = append(ev.Attribute, attr(id, typ, category, conj[0].Value))
			case len(conj) == 2 && mispIsHash(conj[0].Type) && conj[1].Type == FileName:
				ev.Attribute = append(ev.Attribute, attr(id, "filename|"+string(conj[0].Type), "Payload delivery",
					conj[1].Value+"|"+conj[0].Value))
			case len(conj) == 2 && conj[0].Type == FileName && mispIsHash(conj[1].Type):
				ev.Attribute = append(ev.Attribute, attr(id, "filename|"+string(conj[1].Type), "Payload delivery",
					conj[0].Value+"|"+conj[1].Value))
			default:
				tmpl := mispTemplateFor(conj)
				obj := mispOutObject{
					UUID:            id,
					Name:            tmpl.name,
					MetaCategory:    tmpl.meta,
					Description:     tmpl.description,
					TemplateUUID:    tmpl.uuid,
					TemplateVersion: tmpl.version,
					Comment:         ind.Description,
					Distribution:    "5",
					Timestamp:       base.Timestamp,
					FirstSeen:       base.FirstSeen,
					LastSeen:        base.LastSeen,
					Deleted:         ind.Revoked,
				}
				for j, c := range conj {
					typ, category := mispOutType(c.Type)
					a := attr(mispUUID5(fmt.Sprintf("%s\n%d", id, j)), typ, category, c.Value)
					a.Comment = ""
					a.ObjectRelation = tmpl.relation(c.Type)
					obj.Attribute = append(obj.Attribute, a)
				}
				ev.Object = append(ev.Object, obj)
			}
		}
	}
	slices.Sort(keys)
	ev.UUID = mispUUID5("event\n" + strings.Join(keys, "\n"))
	ev.Distribution = "0"
	if most.Rank() > 0 {
		ev.Tag = []mispOutTag{{Name: mispTLPName(most)}}
		switch most {
		case TLPClear:
			ev.Distribution = "3"
		case TLPGreen:
			ev.Distribution = "1"
		}
	}
	for _, a := range attaches {
		out := mispOutSightings(a.sgs, ev.Orgc)
		switch {
		case len(ev.Attribute) > a.attrs:
			ev.Attribute[a.attrs].Sighting = out
		case len(ev.Object) > a.objs && len(ev.Object[a.objs].Attribute) > 0:
			ev.Object[a.objs].Attribute[0].Sighting = out
		}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(struct {
		Event mispOutEvent `json:"Event"`
	}{ev}); err != nil {
		return fmt.Errorf("write misp event: %w", err)
	}
	return nil
}

type mispOutEvent struct {
	UUID          string          `json:"uuid"`
	Info          string          `json:"info"`
	Date          string          `json:"date"`
	Timestamp     string          `json:"timestamp"`
	Published     bool            `json:"published"`
	ThreatLevelID string          `json:"threat_level_id"`
	Analysis      string          `json:"analysis"`
	Distribution  string          `json:"distribution"`
	Orgc          *mispOutOrg     `json:"Orgc,omitempty"`
	Tag           []mispOutTag    `json:"Tag,omitempty"`
	Attribute     []mispOutAttr   `json:"Attribute"`
	Object        []mispOutObject `json:"Object"`
}

type mispOutOrg struct {
	Name string `json:"name"`
	UUID string `json:"uuid"`
}

type mispOutTag struct {
	Name string `json:"name"`
}

type mispOutAttr struct {
	UUID           string       `json:"uuid"`
	Type           string       `json:"type"`
	Category       string       `json:"category"`
	Value          string       `json:"value"`
	ToIDS          bool         `json:"to_ids"`
	ObjectRelation string       `json:"object_relation,omitempty"`
	Comment        string       `json:"comment"`
	Distribution   string       `json:"distribution"`
	Timestamp      string       `json:"timestamp"`
	FirstSeen      string       `json:"first_seen,omitempty"`
	LastSeen       string       `json:"last_seen,omitempty"`
	Deleted        bool         `json:"deleted"`
	Tag            []mispOutTag `json:"Tag,omitempty"`
	// Sighting is set on the first attribute of an indicator with sightings.
	Sighting []mispOutSighting `json:"Sighting,omitempty"`
}

// mispOutSighting is one MISP sighting of an attribute.
type mispOutSighting struct {
	UUID         string      `json:"uuid"`
	Type         string      `json:"type"` // 0: sighting
	DateSighting string      `json:"date_sighting"`
	Source       string      `json:"source"`
	Organisation *mispOutOrg `json:"Organisation,omitempty"`
}

// mispOutSightings turns Khiên's sightings (each a count of events between
// two times) into MISP sightings, oldest last seen first.
func mispOutSightings(sgs []Sighting, org *mispOutOrg) []mispOutSighting {
	sgs = slices.Clone(sgs)
	slices.SortFunc(sgs, func(a, b Sighting) int { return cmp.Or(a.LastSeen.Compare(b.LastSeen), cmp.Compare(a.ID, b.ID)) })
	out := make([]mispOutSighting, len(sgs))
	for i, sg := range sgs {
		out[i] = mispOutSighting{UUID: mispUUID5(fmt.Sprintf("sighting\n%d\n%d\n%d", sg.IndicatorID, sg.ID, sg.FirstSeen.UnixNano())),
			Type: "0", DateSighting: strconv.FormatInt(sg.LastSeen.Unix(), 10),
			Source:       fmt.Sprintf("Khiên: %d events, %s – %s", sg.Count, sg.FirstSeen.UTC().Format(time.RFC3339), sg.LastSeen.UTC().Format(time.RFC3339)),
			Organisation: org}
	}
	return out
}

type mispOutObject struct {
	UUID            string        `json:"uuid"`
	Name            string        `json:"name"`
	MetaCategory    string        `json:"meta-category"`
	Description     string        `json:"description"`
	TemplateUUID    string        `json:"template_uuid,omitempty"`
	TemplateVersion string        `json:"template_version,omitempty"`
	Comment         string        `json:"comment"`
	Distribution    string        `json:"distribution"`
	Timestamp       string        `json:"timestamp"`
	FirstSeen       string        `json:"first_seen,omitempty"`
	LastSeen        string        `json:"last_seen,omitempty"`
	Deleted         bool          `json:"deleted"`
	Attribute       []mispOutAttr `json:"Attribute"`
}

// mispOutType is the MISP attribute type and category of a Khiên type.
func mispOutType(t Type) (typ, category string) {
	switch t {
	case IP, CIDR:
		return "ip-dst", "Network activity"
	case Domain:
		return "domain", "Network activity"
	case URL:
		return "url", "Network activity"
	case FileName:
		return "filename", "Payload delivery"
	case Email:
		return "email-src", "Payload delivery"
	}
	return string(t), "Payload delivery" // md5, sha1, sha256, sha512
}

func mispIsHash(t Type) bool { return t == MD5 || t == SHA1 || t == SHA256 || t == SHA512 }

func mispTLPName(l TLP) string { return "tlp:" + string(l) }

// mispFormatTime formats first_seen/last_seen as MISP does; "" for zero.
func mispFormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000") + "+00:00"
}

// mispTemplate is a MISP object template (github.com/MISP/misp-objects)
// that WriteMISPEvent uses for conjunctions of several comparisons.
type mispTemplate struct {
	name, meta, description, uuid, version string
	relations                              map[Type]string
}

func (m mispTemplate) relation(t Type) string {
	if r, ok := m.relations[t]; ok {
		return r
	}
	return string(t)
}

// mispTemplates are tried in order; the first whose relations cover a
// conjunction's types is used.
var mispTemplates = []mispTemplate{
	{"file", "file", "File object describing a file with meta-information",
		"688c46fb-5edb-40a3-8273-1af7923e2215", "24",
		map[Type]string{FileName: "filename", MD5: "md5", SHA1: "sha1", SHA256: "sha256", SHA512: "sha512"}},
	{"domain-ip", "network", "A domain/hostname and IP address seen as a tuple in a specific time frame.",
		"43b3b146-77eb-4931-b4cc-b66c60f28734", "9",
		map[Type]string{Domain: "domain", IP: "ip", CIDR: "ip"}},
	{"url", "network", "url object describes an url along with its normalized field (like extracted using faup parsing library) and its metadata.",
		"60efb77b-40b5-4c46-871b-ed1ed999fce5", "9",
		map[Type]string{URL: "url", Domain: "domain", IP: "ip", CIDR: "ip"}},
}

func mispTemplateFor(conj []Comparison) mispTemplate {
	for _, m := range mispTemplates {
		if !slices.ContainsFunc(conj, func(c Comparison) bool { _, ok := m.relations[c.Type]; return !ok }) {
			return m
		}
	}
	return mispTemplate{name: "indicator", meta: "misc", description: "Comparisons that an event must all match (Khiên indicator)"}
}
