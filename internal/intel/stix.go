package intel

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/errs"
)

// Limits of ParseSTIXBundle.
const (
	MaxBundleSize    = 64 << 20 // bytes
	MaxBundleObjects = 200_000
)

// The TLP marking definitions of STIX 2.1 (TLP 1.0, predefined by the
// specification) and of the OASIS TLP 2.0 extension.
var (
	stixTLP1 = map[string]TLP{
		"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": TLPClear, // white
		"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": TLPGreen,
		"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": TLPAmber,
		"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": TLPRed,
	}
	stixTLP2 = map[TLP]string{
		TLPClear:       "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
		TLPGreen:       "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
		TLPAmber:       "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
		TLPAmberStrict: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
		TLPRed:         "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
	}
)

// stixTLP2Extension is the id of the OASIS TLP 2.0 extension definition.
const stixTLP2Extension = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

// stixNamespace is the UUIDv5 namespace of the ids Khiên gives STIX objects.
var stixNamespace = [16]byte{0x6b, 0x68, 0x69, 0x65, 0x6e, 0x2d, 0x5c, 0x11, 0x9a, 0x4e, 0x73, 0x74, 0x69, 0x78, 0x32, 0x31}

// stixIndicator is a STIX 2.1 (or 2.0) indicator, as read and written.
type stixIndicator struct {
	Type              string   `json:"type"`
	SpecVersion       string   `json:"spec_version,omitempty"`
	ID                string   `json:"id"`
	CreatedByRef      string   `json:"created_by_ref,omitempty"`
	Created           string   `json:"created,omitempty"`
	Modified          string   `json:"modified,omitempty"`
	Name              string   `json:"name,omitempty"`
	Description       string   `json:"description,omitempty"`
	IndicatorTypes    []string `json:"indicator_types,omitempty"`
	Pattern           string   `json:"pattern"`
	PatternType       string   `json:"pattern_type,omitempty"`
	PatternVersion    string   `json:"pattern_version,omitempty"`
	ValidFrom         string   `json:"valid_from,omitempty"`
	ValidUntil        string   `json:"valid_until,omitempty"`
	Revoked           bool     `json:"revoked,omitempty"`
	Labels            []string `json:"labels,omitempty"`
	Confidence        *int     `json:"confidence,omitempty"`
	ObjectMarkingRefs []string `json:"object_marking_refs,omitempty"`
}

type stixMarking struct {
	Type           string                     `json:"type"`
	SpecVersion    string                     `json:"spec_version,omitempty"`
	ID             string                     `json:"id"`
	Created        string                     `json:"created,omitempty"`
	Name           string                     `json:"name,omitempty"`
	DefinitionType string                     `json:"definition_type,omitempty"`
	Definition     map[string]any             `json:"definition,omitempty"`
	Extensions     map[string]json.RawMessage `json:"extensions,omitempty"`
}

type stixIdentity struct {
	Type          string `json:"type"`
	SpecVersion   string `json:"spec_version,omitempty"`
	ID            string `json:"id"`
	Created       string `json:"created,omitempty"`
	Modified      string `json:"modified,omitempty"`
	Name          string `json:"name"`
	IdentityClass string `json:"identity_class,omitempty"`
}

type stixSighting struct {
	Type              string   `json:"type"`
	SpecVersion       string   `json:"spec_version"`
	ID                string   `json:"id"`
	CreatedByRef      string   `json:"created_by_ref,omitempty"`
	Created           string   `json:"created"`
	Modified          string   `json:"modified"`
	FirstSeen         string   `json:"first_seen,omitempty"`
	LastSeen          string   `json:"last_seen,omitempty"`
	Count             int64    `json:"count"`
	SightingOfRef     string   `json:"sighting_of_ref"`
	WhereSightedRefs  []string `json:"where_sighted_refs"`
	ObjectMarkingRefs []string `json:"object_marking_refs,omitempty"`
}

// ParseSTIXBundle reads STIX 2.1 indicators from a bundle, a JSON list of
// objects or a TAXII 2.1 envelope ("objects", "more", "next").
//
// Each indicator with pattern_type stix (or none, as in STIX 2.0) becomes
// an Indicator: Pattern from ParsePattern, Name, Description, ValidFrom,
// ValidUntil, Confidence (else o.DefaultConfidence), Revoked, Labels
// (labels then indicator_types), ExternalID the STIX id, TLP the most
// restrictive TLP marking among object_marking_refs (the TLP 1.0 and
// TLP 2.0 marking definitions, or TLP marking-definition objects of the
// bundle; else o.DefaultTLP) and Source o.Source followed by the name of
// the created_by_ref identity when the bundle has it ("Feed (Producer)";
// "STIX" when there is neither). CreatedAt and UpdatedAt are o.Now().
// When an id occurs more than once, the version with the latest modified
// wins. Other objects are ignored. An indicator that is malformed, or of
// which ParsePattern keeps nothing, is reported in Skipped; the input as
// a whole fails (errs.ErrInvalid) only when it is not JSON, not one of
// the three shapes, larger than MaxBundleSize or has more than
// MaxBundleObjects objects.
func ParseSTIXBundle(r io.Reader, o ImportOptions) (Batch, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBundleSize+1))
	if err != nil {
		return Batch{}, fmt.Errorf("read stix bundle: %w", err)
	}
	if len(data) > MaxBundleSize {
		return Batch{}, fmt.Errorf("read stix bundle: %w: larger than %d bytes", errs.ErrInvalid, MaxBundleSize)
	}
	objects, err := bundleObjects(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if err != nil {
		return Batch{}, fmt.Errorf("read stix bundle: %w: %w", errs.ErrInvalid, err)
	}

	// First pass: what indicators refer to, and the latest version of
	// each indicator.
	type header struct {
		Type     string `json:"type"`
		ID       string `json:"id"`
		Modified string `json:"modified"`
	}
	identities := map[string]string{}
	markings := map[string]TLP{}
	latest := map[string]int{} // indicator id → index in objects
	heads := make([]header, len(objects))
	for i, raw := range objects {
		var h header
		if json.Unmarshal(raw, &h) != nil {
			continue // reported in the second pass
		}
		heads[i] = h
		switch h.Type {
		case "identity":
			var id stixIdentity
			if json.Unmarshal(raw, &id) == nil && id.Name != "" {
				identities[id.ID] = id.Name
			}
		case "marking-definition":
			var m stixMarking
			if json.Unmarshal(raw, &m) == nil {
				if t := markingTLP(m); t != "" {
					markings[m.ID] = t
				}
			}
		case "indicator":
			if h.ID == "" {
				continue
			}
			if j, ok := latest[h.ID]; ok && !newer(h.Modified, heads[j].Modified) {
				continue
			}
			latest[h.ID] = i
		}
	}

	var b Batch
	now := o.now()
	for i, raw := range objects {
		ref := fmt.Sprintf("objects[%d]", i)
		h := heads[i]
		if h.Type == "" {
			b.Skipped = append(b.Skipped, Skip{Ref: ref, Reason: "not a STIX object (no type, or malformed id, type or modified)"})
			continue
		}
		if h.Type != "indicator" || h.ID != "" && latest[h.ID] != i {
			continue // another type, or an older version
		}
		if h.ID != "" {
			ref = h.ID
		}
		ind, err := stixToIndicator(raw, o, identities, markings)
		if err != nil {
			b.Skipped = append(b.Skipped, Skip{Ref: ref, Reason: err.Error()})
			continue
		}
		ind.CreatedAt, ind.UpdatedAt = now, now
		b.Indicators = append(b.Indicators, ind)
	}
	return b, nil
}

// bundleObjects returns the objects of a bundle, list or envelope.
func bundleObjects(data []byte) ([]json.RawMessage, error) {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '[' {
		return objectList(data)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, errors.New("not a JSON object or list")
	}
	if t, ok := top["type"]; ok {
		var typ string
		if json.Unmarshal(t, &typ) != nil || typ != "bundle" {
			return nil, fmt.Errorf("a %s object, not a bundle", strings.Trim(string(t), `"`))
		}
	} else {
		for k := range top {
			if k != "objects" && k != "more" && k != "next" {
				return nil, fmt.Errorf("neither a bundle nor a TAXII envelope (property %q)", k)
			}
		}
	}
	list, ok := top["objects"]
	if !ok || string(list) == "null" {
		return nil, nil
	}
	return objectList(list)
}

// objectList splits a JSON list, refusing more than MaxBundleObjects.
func objectList(data []byte) ([]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('[') {
		return nil, errors.New("objects is not a list")
	}
	var out []json.RawMessage
	for dec.More() {
		if len(out) == MaxBundleObjects {
			return nil, fmt.Errorf("more than %d objects", MaxBundleObjects)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("objects[%d]: %w", len(out), err)
		}
		out = append(out, raw)
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("objects: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the objects")
	}
	return out, nil
}

// newer reports whether STIX timestamp a is after b (unparseable: oldest).
func newer(a, b string) bool {
	ta, _ := time.Parse(time.RFC3339Nano, a)
	tb, _ := time.Parse(time.RFC3339Nano, b)
	return !ta.Before(tb)
}

func stixToIndicator(raw []byte, o ImportOptions, identities map[string]string, markings map[string]TLP) (Indicator, error) {
	var s stixIndicator
	if err := json.Unmarshal(raw, &s); err != nil {
		return Indicator{}, fmt.Errorf("malformed indicator: %w", err)
	}
	if !validSTIXID(s.ID, "indicator") {
		return Indicator{}, fmt.Errorf("id %q is not an indicator id", s.ID)
	}
	if s.PatternType != "" && s.PatternType != "stix" {
		return Indicator{}, fmt.Errorf("pattern_type %q is not supported", s.PatternType)
	}
	if strings.TrimSpace(s.Pattern) == "" {
		return Indicator{}, errors.New("no pattern")
	}
	pattern, err := ParsePattern(s.Pattern)
	if err != nil {
		return Indicator{}, err
	}
	ind := Indicator{
		UnitID:      o.UnitID,
		Type:        pattern[0][0].Type,
		Value:       pattern[0][0].Value,
		Pattern:     pattern,
		Name:        s.Name,
		Description: s.Description,
		Source:      o.Source,
		ExternalID:  s.ID,
		TLP:         o.defaultTLP(),
		Confidence:  o.DefaultConfidence,
		Revoked:     s.Revoked,
	}
	if name := identities[s.CreatedByRef]; name != "" && name != o.Source {
		if ind.Source == "" {
			ind.Source = name
		} else {
			ind.Source += " (" + name + ")"
		}
	}
	if ind.Source == "" {
		ind.Source = "STIX"
	}
	if s.Confidence != nil {
		if *s.Confidence < 0 || *s.Confidence > 100 {
			return Indicator{}, fmt.Errorf("confidence %d is not in 0–100", *s.Confidence)
		}
		ind.Confidence = *s.Confidence
	}
	for _, l := range slices.Concat(s.Labels, s.IndicatorTypes) {
		if l = strings.TrimSpace(l); l != "" && !slices.Contains(ind.Labels, l) {
			ind.Labels = append(ind.Labels, l)
		}
	}
	if ind.ValidFrom, err = stixTimestamp("valid_from", s.ValidFrom); err != nil {
		return Indicator{}, err
	}
	if ind.ValidUntil, err = stixTimestamp("valid_until", s.ValidUntil); err != nil {
		return Indicator{}, err
	}
	if !ind.ValidFrom.IsZero() && !ind.ValidUntil.IsZero() && !ind.ValidUntil.After(ind.ValidFrom) {
		return Indicator{}, errors.New("valid_until is not after valid_from")
	}
	found := false
	for _, ref := range s.ObjectMarkingRefs {
		t, ok := markings[ref]
		if !ok {
			t, ok = stixTLP1[ref]
		}
		if !ok {
			for level, id := range stixTLP2 {
				if id == ref {
					t, ok = level, true
				}
			}
		}
		if ok && (!found || t.Rank() > ind.TLP.Rank()) {
			ind.TLP, found = t, true
		}
	}
	return ind, nil
}

func stixTimestamp(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is not a timestamp", field, v)
	}
	return t.UTC(), nil
}

// markingTLP returns the TLP level a marking definition states, or "".
func markingTLP(m stixMarking) TLP {
	if !strings.HasPrefix(m.ID, "marking-definition--") {
		return ""
	}
	for _, ext := range m.Extensions {
		var e struct {
			TLP string `json:"tlp_2_0"`
		}
		if json.Unmarshal(ext, &e) == nil && e.TLP != "" {
			return tlpNamed(e.TLP)
		}
	}
	if strings.EqualFold(m.DefinitionType, "tlp") {
		if s, ok := m.Definition["tlp"].(string); ok {
			return tlpNamed(s)
		}
	}
	if strings.HasPrefix(strings.ToUpper(m.Name), "TLP:") {
		return tlpNamed(m.Name)
	}
	return ""
}

// tlpNamed reads "amber", "TLP:AMBER+STRICT", "white" …; "" if unknown.
func tlpNamed(s string) TLP {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "tlp:")
	if s == "white" {
		return TLPClear
	}
	if t := TLP(s); t.Rank() > 0 {
		return t
	}
	return ""
}

// validSTIXID reports whether id is "<typ>--<UUID>".
func validSTIXID(id, typ string) bool {
	u, ok := strings.CutPrefix(id, typ+"--")
	if !ok || len(u) != 36 {
		return false
	}
	for i := 0; i < len(u); i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if u[i] != '-' {
				return false
			}
		} else if !isHex(u[i : i+1]) {
			return false
		}
	}
	return true
}

// uuid5 returns the name-based (SHA-1) UUID of name in stixNamespace.
func uuid5(name string) string {
	h := sha1.New()
	h.Write(stixNamespace[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	s := hex.EncodeToString(u[:])
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}

// ExportOptions tell WriteSTIXBundle who is sharing.
type ExportOptions struct {
	// Identity is the name of the sharing organisation; empty means "Khiên".
	Identity string
	// Now stamps the bundle; nil means time.Now.
	Now func() time.Time
}

// WriteSTIXBundle writes inds and their sightings as a STIX 2.1 bundle:
// one identity (o.Identity), the TLP 2.0 marking definitions used, one
// indicator per Indicator and one sighting per Sighting.
//
// An indicator keeps its ExternalID as STIX id when that is a STIX
// indicator id, and otherwise gets "indicator--" and the UUIDv5 of its
// Source and ExternalID (Source and pattern without ExternalID), so that
// exporting again gives the same ids. Its pattern is rebuilt from Pattern
// (Type and Value when Pattern is empty); valid_from is ValidFrom, else
// CreatedAt, else now. Sightings refer to their indicator (which must be
// among inds) and to the identity as where_sighted_refs, and carry its
// TLP; hosts, fields and values of events are not shared.
func WriteSTIXBundle(w io.Writer, inds []Indicator, sightings []Sighting, o ExportOptions) error {
	now := time.Now()
	if o.Now != nil {
		now = o.Now()
	}
	now = now.UTC().Truncate(time.Millisecond)
	name := o.Identity
	if name == "" {
		name = "Khiên"
	}
	identity := stixIdentity{Type: "identity", SpecVersion: "2.1", ID: "identity--" + uuid5("identity\x00"+name),
		Created: stixTime(now), Modified: stixTime(now), Name: name, IdentityClass: "organization"}

	objects := []any{identity}
	var used []TLP
	ids := map[int64]string{}   // Indicator.ID → STIX id
	tlps := map[string]string{} // STIX id → marking ref
	var indObjs []any
	seen := map[string]bool{}
	bundleName := "bundle\x00" + identity.ID + "\x00" + stixTime(now)
	for _, ind := range inds {
		s, err := indicatorToSTIX(ind, identity.ID, now)
		if err != nil {
			return fmt.Errorf("write stix bundle: indicator %d: %w", ind.ID, err)
		}
		if ind.ID != 0 {
			ids[ind.ID] = s.ID
		}
		if seen[s.ID] {
			continue
		}
		seen[s.ID] = true
		tlps[s.ID] = s.ObjectMarkingRefs[0]
		if !slices.Contains(used, ind.TLP) {
			used = append(used, ind.TLP)
		}
		bundleName += "\x00" + s.ID
		indObjs = append(indObjs, s)
	}
	slices.SortFunc(used, func(a, b TLP) int { return a.Rank() - b.Rank() })
	for _, t := range used {
		ext, _ := json.Marshal(map[string]string{"extension_type": "property-extension", "tlp_2_0": string(t)})
		objects = append(objects, stixMarking{Type: "marking-definition", SpecVersion: "2.1", ID: stixTLP2[t],
			Created: "2022-10-01T00:00:00.000Z", Name: "TLP:" + strings.ToUpper(string(t)),
			Extensions: map[string]json.RawMessage{stixTLP2Extension: ext}})
	}
	objects = append(objects, indObjs...)
	for _, si := range sightings {
		ref, ok := ids[si.IndicatorID]
		if !ok {
			return fmt.Errorf("write stix bundle: sighting %d: indicator %d is not exported", si.ID, si.IndicatorID)
		}
		objects = append(objects, sightingToSTIX(si, ref, identity.ID, tlps[ref], now))
	}

	bw := bufio.NewWriter(w)
	var werr error // bufio.Writer keeps the first error; Flush returns it
	write := func(b []byte) {
		if werr == nil {
			_, werr = bw.Write(b)
		}
	}
	write([]byte(`{"type":"bundle","id":"bundle--` + uuid5(bundleName) + `","objects":[`))
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for i, obj := range objects {
		buf.Reset()
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
		if err := enc.Encode(obj); err != nil {
			return fmt.Errorf("write stix bundle: %w", err)
		}
		write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	}
	write([]byte("\n]}\n"))
	if werr == nil {
		werr = bw.Flush()
	}
	if werr != nil {
		return fmt.Errorf("write stix bundle: %w", werr)
	}
	return nil
}

func indicatorToSTIX(ind Indicator, identity string, now time.Time) (stixIndicator, error) {
	pattern := ind.Pattern
	if len(pattern) == 0 {
		pattern = [][]Comparison{{{Type: ind.Type, Value: ind.Value}}}
	}
	text, err := FormatPattern(pattern)
	if err != nil {
		return stixIndicator{}, err
	}
	marking, ok := stixTLP2[ind.TLP]
	if !ok {
		return stixIndicator{}, fmt.Errorf("unknown TLP %q", ind.TLP)
	}
	id := ind.ExternalID
	if !validSTIXID(id, "indicator") {
		key := ind.ExternalID
		if key == "" {
			key = text
		}
		id = "indicator--" + uuid5("indicator\x00"+ind.Source+"\x00"+key)
	}
	created := ind.CreatedAt.UTC()
	if created.IsZero() {
		created = now
	}
	modified := ind.UpdatedAt.UTC()
	if modified.Before(created) {
		modified = created
	}
	validFrom := ind.ValidFrom.UTC()
	if validFrom.IsZero() {
		validFrom = created
	}
	if !ind.ValidUntil.IsZero() && !ind.ValidUntil.After(validFrom) {
		// STIX wants valid_until after valid_from; keep it expired.
		validFrom = ind.ValidUntil.UTC().Add(-time.Second)
	}
	confidence := min(max(ind.Confidence, 0), 100)
	s := stixIndicator{
		Type: "indicator", SpecVersion: "2.1", ID: id, CreatedByRef: identity,
		Created: stixTime(created), Modified: stixTime(modified),
		Name: ind.Name, Description: ind.Description,
		Pattern: text, PatternType: "stix", PatternVersion: "2.1",
		ValidFrom: stixTime(validFrom), Revoked: ind.Revoked, Labels: ind.Labels,
		Confidence: &confidence, ObjectMarkingRefs: []string{marking},
	}
	if !ind.ValidUntil.IsZero() {
		s.ValidUntil = stixTime(ind.ValidUntil)
	}
	return s, nil
}

func sightingToSTIX(si Sighting, indicator, identity, marking string, now time.Time) stixSighting {
	created := si.CreatedAt.UTC()
	if created.IsZero() {
		created = now
	}
	modified := si.LastSeen.UTC()
	if modified.Before(created) {
		modified = created
	}
	// The id derives from the stored id, so that it says nothing of the
	// host or value; unsaved sightings fall back to what identifies them.
	key := []string{"sighting", indicator, strconv.FormatInt(si.ID, 10)}
	if si.ID == 0 {
		key = append(key, strconv.FormatInt(si.UnitID, 10), strconv.FormatInt(si.HuntID, 10), si.Field, si.Value, si.Host)
	}
	s := stixSighting{
		Type: "sighting", SpecVersion: "2.1", CreatedByRef: identity,
		ID:      "sighting--" + uuid5(strings.Join(key, "\x00")),
		Created: stixTime(created), Modified: stixTime(modified),
		Count:         min(max(si.Count, 0), 999_999_999),
		SightingOfRef: indicator, WhereSightedRefs: []string{identity},
	}
	if marking != "" {
		s.ObjectMarkingRefs = []string{marking}
	}
	if !si.FirstSeen.IsZero() {
		s.FirstSeen = stixTime(si.FirstSeen)
	}
	if !si.LastSeen.IsZero() && !si.LastSeen.Before(si.FirstSeen) {
		s.LastSeen = stixTime(si.LastSeen)
	}
	return s
}

// stixTime formats t in UTC with at least millisecond precision, as STIX
// asks for created and modified.
func stixTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()%int(time.Millisecond) == 0 {
		return t.Format("2006-01-02T15:04:05.000Z")
	}
	return t.Format("2006-01-02T15:04:05.999999999Z")
}

// FormatPattern writes a pattern as STIX 2.1 patterning text that
// ParsePattern reads back to the same comparisons, in the same order:
// one observation expression per run of comparisons of one object type.
func FormatPattern(pattern [][]Comparison) (string, error) {
	if len(pattern) == 0 {
		return "", errors.New("empty pattern")
	}
	var conjs []string
	simple := true // every conjunction one comparison: one observation
	for _, conj := range pattern {
		if len(conj) == 0 {
			return "", errors.New("empty conjunction")
		}
		// Consecutive comparisons of one object type share an
		// observation expression; the order is kept.
		var obs []string
		var run []string
		prev := ""
		for _, c := range conj {
			path, err := stixPath(c)
			if err != nil {
				return "", err
			}
			typ, _, _ := strings.Cut(path, ":")
			if typ != prev && len(run) > 0 {
				obs = append(obs, "["+strings.Join(run, " AND ")+"]")
				run = nil
			}
			prev = typ
			run = append(run, path+" = "+quoteSTIX(c.Value))
		}
		obs = append(obs, "["+strings.Join(run, " AND ")+"]")
		if len(conj) > 1 {
			simple = false
		}
		s := strings.Join(obs, " AND ")
		if len(obs) > 1 && len(pattern) > 1 {
			s = "(" + s + ")"
		}
		conjs = append(conjs, s)
	}
	if simple && len(pattern) > 1 {
		for i, s := range conjs {
			conjs[i] = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
		}
		return "[" + strings.Join(conjs, " OR ") + "]", nil
	}
	return strings.Join(conjs, " OR "), nil
}

// stixPath returns the STIX object path for a comparison, checking it.
func stixPath(c Comparison) (string, error) {
	if n, err := Normalize(c.Type, c.Value); err != nil || n != c.Value {
		if err == nil {
			err = fmt.Errorf("%q is not normalised", c.Value)
		}
		return "", err
	}
	switch c.Type {
	case IP, CIDR:
		if strings.Contains(c.Value, ":") {
			return "ipv6-addr:value", nil
		}
		return "ipv4-addr:value", nil
	case Domain:
		return "domain-name:value", nil
	case URL:
		return "url:value", nil
	case MD5:
		return "file:hashes.MD5", nil
	case SHA1:
		return "file:hashes.'SHA-1'", nil
	case SHA256:
		return "file:hashes.'SHA-256'", nil
	case SHA512:
		return "file:hashes.'SHA-512'", nil
	case FileName:
		return "file:name", nil
	case Email:
		return "email-addr:value", nil
	}
	return "", fmt.Errorf("unknown indicator type %q", c.Type)
}

// STIXID returns the deterministic STIX id of an object of type typ named
// by name: typ, "--" and the UUIDv5 of typ and name in Khiên's namespace,
// so that exporting the same thing again gives the same id.
func STIXID(typ, name string) string { return typ + "--" + uuid5(typ+"\x00"+name) }

// STIXTime formats t as STIX timestamps are written: UTC, at least
// millisecond precision.
func STIXTime(t time.Time) string { return stixTime(t) }
