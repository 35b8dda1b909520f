package oscal_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// This file checks documents against the parts of the OSCAL 1.1.2 JSON
// schemas (oscal_complete_schema.json) that the exports use: for each
// object its allowed keys (additionalProperties is false throughout),
// required keys, value types and patterns, and non-empty arrays (minItems
// 1). The official schema needs a JSON Schema validator, which the module
// does not have; this transcription keeps the same rules for our subset.

// A field type is a scalar type name, "@kind" for an object of that kind,
// "[]" followed by a type for an array, or "enum:a|b".
type objectSpec struct {
	fields   map[string]string
	required []string
}

var schema = map[string]objectSpec{
	"catalog-document": {fields: map[string]string{"catalog": "@catalog"}, required: []string{"catalog"}},
	"catalog": {fields: map[string]string{
		"uuid": "uuid", "metadata": "@metadata", "params": "[]@param", "controls": "[]@control",
		"groups": "[]@group", "back-matter": "@back-matter",
	}, required: []string{"uuid", "metadata"}},
	"metadata": {fields: map[string]string{
		"title": "text", "published": "datetime", "last-modified": "datetime", "version": "string",
		"oscal-version": "string", "props": "[]@property", "links": "[]@link", "remarks": "text",
	}, required: []string{"title", "last-modified", "version", "oscal-version"}},
	"group": {fields: map[string]string{
		"id": "token", "class": "token", "title": "text", "params": "[]@param", "props": "[]@property",
		"links": "[]@link", "parts": "[]@part", "groups": "[]@group", "controls": "[]@control",
	}, required: []string{"title"}},
	"control": {fields: map[string]string{
		"id": "token", "class": "token", "title": "text", "params": "[]@param", "props": "[]@property",
		"links": "[]@link", "parts": "[]@part", "controls": "[]@control",
	}, required: []string{"id", "title"}},
	"part": {fields: map[string]string{
		"id": "token", "name": "token", "ns": "uri", "class": "token", "title": "text",
		"props": "[]@property", "prose": "text", "parts": "[]@part", "links": "[]@link",
	}, required: []string{"name"}},
	"param": {fields: map[string]string{
		"id": "token", "class": "token", "props": "[]@property", "links": "[]@link", "label": "text",
		"usage": "text", "values": "[]string", "select": "@selection", "remarks": "text",
	}, required: []string{"id"}},
	"selection": {fields: map[string]string{"how-many": "enum:one|one-or-more", "choice": "[]text"}},
	"property": {fields: map[string]string{
		"name": "token", "uuid": "uuid", "ns": "uri", "value": "string", "class": "token",
		"group": "token", "remarks": "text",
	}, required: []string{"name", "value"}},
	"link": {fields: map[string]string{
		"href": "uriref", "rel": "token", "media-type": "string", "resource-fragment": "string", "text": "text",
	}, required: []string{"href"}},
	"back-matter": {fields: map[string]string{"resources": "[]@resource"}},
	"resource": {fields: map[string]string{
		"uuid": "uuid", "title": "text", "description": "text", "props": "[]@property",
		"document-ids": "[]@document-id", "citation": "@citation", "rlinks": "[]@rlink", "remarks": "text",
	}, required: []string{"uuid"}},
	"document-id": {fields: map[string]string{"scheme": "uri", "identifier": "string"}, required: []string{"identifier"}},
	"citation":    {fields: map[string]string{"text": "text", "props": "[]@property", "links": "[]@link"}, required: []string{"text"}},
	"rlink":       {fields: map[string]string{"href": "uriref", "media-type": "string", "hashes": "[]@hash"}, required: []string{"href"}},
	"hash":        {fields: map[string]string{"algorithm": "string", "value": "string"}, required: []string{"algorithm", "value"}},

	"profile-document": {fields: map[string]string{"profile": "@profile"}, required: []string{"profile"}},
	"profile": {fields: map[string]string{
		"uuid": "uuid", "metadata": "@metadata", "imports": "[]@import", "merge": "@merge",
		"modify": "@any", "back-matter": "@back-matter",
	}, required: []string{"uuid", "metadata", "imports"}},
	"import": {fields: map[string]string{
		"href": "uriref", "include-all": "@empty", "include-controls": "[]@profile-select",
		"exclude-controls": "[]@profile-select",
	}, required: []string{"href"}},
	"profile-select": {fields: map[string]string{
		"with-child-controls": "enum:yes|no", "with-ids": "[]token", "matching": "[]@any",
	}},
	"merge": {fields: map[string]string{"combine": "@any", "flat": "@empty", "as-is": "bool", "custom": "@any"}},
	"empty": {fields: map[string]string{}},

	"assessment-results-document": {fields: map[string]string{"assessment-results": "@assessment-results"}, required: []string{"assessment-results"}},
	"assessment-results": {fields: map[string]string{
		"uuid": "uuid", "metadata": "@metadata", "import-ap": "@import-ap", "local-definitions": "@any",
		"results": "[]@result", "back-matter": "@back-matter",
	}, required: []string{"uuid", "metadata", "import-ap", "results"}},
	"import-ap": {fields: map[string]string{"href": "uriref", "remarks": "text"}, required: []string{"href"}},
	"result": {fields: map[string]string{
		"uuid": "uuid", "title": "text", "description": "text", "start": "datetime", "end": "datetime",
		"props": "[]@property", "links": "[]@link", "local-definitions": "@any",
		"reviewed-controls": "@reviewed-controls", "attestations": "[]@any", "assessment-log": "@any",
		"observations": "[]@observation", "risks": "[]@any", "findings": "[]@finding", "remarks": "text",
	}, required: []string{"uuid", "title", "description", "start", "reviewed-controls"}},
	"reviewed-controls": {fields: map[string]string{
		"description": "text", "props": "[]@property", "links": "[]@link",
		"control-selections": "[]@control-selection", "control-objective-selections": "[]@any", "remarks": "text",
	}, required: []string{"control-selections"}},
	"control-selection": {fields: map[string]string{
		"description": "text", "props": "[]@property", "links": "[]@link", "include-all": "@empty",
		"include-controls": "[]@control-ref", "exclude-controls": "[]@control-ref", "remarks": "text",
	}},
	"control-ref": {fields: map[string]string{"control-id": "token", "statement-ids": "[]token"}, required: []string{"control-id"}},
	"observation": {fields: map[string]string{
		"uuid": "uuid", "title": "text", "description": "text", "props": "[]@property", "links": "[]@link",
		"methods": "[]enum:EXAMINE|INTERVIEW|TEST|UNKNOWN", "types": "[]token", "origins": "[]@any",
		"subjects": "[]@any", "relevant-evidence": "[]@relevant-evidence", "collected": "datetime",
		"expires": "datetime", "remarks": "text",
	}, required: []string{"uuid", "description", "methods", "collected"}},
	"relevant-evidence": {fields: map[string]string{
		"href": "uriref", "description": "text", "props": "[]@property", "links": "[]@link", "remarks": "text",
	}, required: []string{"description"}},
	"finding": {fields: map[string]string{
		"uuid": "uuid", "title": "text", "description": "text", "props": "[]@property", "links": "[]@link",
		"origins": "[]@any", "target": "@finding-target", "implementation-statement-uuid": "uuid",
		"related-observations": "[]@related-observation", "related-risks": "[]@any", "remarks": "text",
	}, required: []string{"uuid", "title", "description", "target"}},
	"finding-target": {fields: map[string]string{
		"type": "enum:statement-id|objective-id", "target-id": "token", "title": "text", "description": "text",
		"props": "[]@property", "links": "[]@link", "status": "@objective-status",
		"implementation-status": "@implementation-status", "remarks": "text",
	}, required: []string{"type", "target-id", "status"}},
	"objective-status": {fields: map[string]string{
		"state": "enum:satisfied|not-satisfied", "reason": "token", "remarks": "text",
	}, required: []string{"state"}},
	"implementation-status": {fields: map[string]string{"state": "token", "remarks": "text"}, required: []string{"state"}},
	"related-observation":   {fields: map[string]string{"observation-uuid": "uuid"}, required: []string{"observation-uuid"}},
}

// The datatype patterns of the 1.1.2 schemas. The schemas' date-time
// pattern escapes the fraction dot twice, so it rejects fractional seconds:
// the exports write whole seconds, and so does this pattern.
var (
	tokenRe    = regexp.MustCompile(`^[\p{L}_][\p{L}\p{N}.\-_]*$`)
	uuidRe     = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[45][0-9A-Fa-f]{3}-[89ABab][0-9A-Fa-f]{3}-[0-9A-Fa-f]{12}$`)
	uriRe      = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+\-.]+:.+$`)
	dateTimeRe = regexp.MustCompile(`^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T(2[0-3]|[01][0-9]):[0-5][0-9]:[0-5][0-9](Z|[-+][0-9]{2}:[0-9]{2})$`)
)

// oscalString is the schemas' string datatype: non-empty, no leading or
// trailing white space, no line break (the pattern's '.' matches none).
func oscalString(s string) bool {
	if s == "" || !utf8.ValidString(s) || strings.ContainsAny(s, "\n\r\u2028\u2029") {
		return false
	}
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	return !unicode.IsSpace(first) && !unicode.IsSpace(last)
}

// validate checks doc against the spec of kind and returns every problem.
func validate(doc []byte, kind string) []string {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return []string{"invalid JSON: " + err.Error()}
	}
	var problems []string
	checkValue(v, "@"+kind, "$", &problems)
	return problems
}

func checkValue(v any, typ, path string, problems *[]string) {
	fail := func(format string, args ...any) {
		*problems = append(*problems, path+": "+fmt.Sprintf(format, args...))
	}
	switch {
	case strings.HasPrefix(typ, "[]"):
		arr, ok := v.([]any)
		if !ok {
			fail("want an array")
			return
		}
		if len(arr) == 0 {
			fail("empty array (minItems 1)")
		}
		for i, item := range arr {
			checkValue(item, typ[2:], fmt.Sprintf("%s[%d]", path, i), problems)
		}
	case typ == "@any":
		if _, ok := v.(map[string]any); !ok {
			fail("want an object")
		}
	case strings.HasPrefix(typ, "@"):
		obj, ok := v.(map[string]any)
		if !ok {
			fail("want an object")
			return
		}
		spec, ok := schema[typ[1:]]
		if !ok {
			fail("no spec for %s", typ)
			return
		}
		for _, k := range spec.required {
			if _, ok := obj[k]; !ok {
				fail("missing required %q", k)
			}
		}
		for k, item := range obj {
			ft, ok := spec.fields[k]
			if !ok {
				fail("unknown field %q (additionalProperties is false)", k)
				continue
			}
			checkValue(item, ft, path+"."+k, problems)
		}
	case typ == "bool":
		if _, ok := v.(bool); !ok {
			fail("want a boolean")
		}
	default:
		s, ok := v.(string)
		if !ok {
			fail("want a string")
			return
		}
		checkScalar(s, typ, fail)
	}
}

func checkScalar(s, typ string, fail func(string, ...any)) {
	switch {
	case strings.HasPrefix(typ, "enum:"):
		if !slices.Contains(strings.Split(typ[5:], "|"), s) {
			fail("%q not one of %s", s, typ[5:])
		}
	case typ == "text":
		if !utf8.ValidString(s) {
			fail("invalid UTF-8")
		}
	case typ == "string":
		if !oscalString(s) {
			fail("%q is not an OSCAL string (non-empty, no surrounding or line-breaking white space)", s)
		}
	case typ == "token":
		if !tokenRe.MatchString(s) {
			fail("%q is not a token", s)
		}
	case typ == "uuid":
		if !uuidRe.MatchString(s) {
			fail("%q is not a version 4 or 5 UUID", s)
		}
	case typ == "uri":
		if !uriRe.MatchString(s) {
			fail("%q is not an absolute URI", s)
		}
	case typ == "uriref":
		if _, err := url.Parse(s); err != nil || s == "" || strings.ContainsAny(s, " \t\n") {
			fail("%q is not a URI reference", s)
		}
	case typ == "datetime":
		if !dateTimeRe.MatchString(s) {
			fail("%q does not match the date-time pattern", s)
		} else if _, err := time.Parse(time.RFC3339, s); err != nil {
			fail("%q is not a valid date-time: %v", s, err)
		}
	default:
		fail("unknown type %q", typ)
	}
}

// TestValidate_catchesProblems makes sure the checker itself fails bad
// documents, so that a passing export test means something.
func TestValidate_catchesProblems(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"missing_uuid", `{"catalog":{"metadata":{"title":"t","last-modified":"2024-01-02T03:04:05Z","version":"1","oscal-version":"1.1.2"}}}`, `missing required "uuid"`},
		{"extra_field", `{"catalog":{"uuid":"7b6f6a1e-36e5-4d7c-9d3b-0c2f5f1b1a11","x":1,"metadata":{"title":"t","last-modified":"2024-01-02T03:04:05Z","version":"1","oscal-version":"1.1.2"}}}`, `unknown field "x"`},
		{"v1_uuid", `{"catalog":{"uuid":"7b6f6a1e-36e5-1d7c-9d3b-0c2f5f1b1a11","metadata":{"title":"t","last-modified":"2024-01-02T03:04:05Z","version":"1","oscal-version":"1.1.2"}}}`, `not a version 4 or 5 UUID`},
		{"fraction", `{"catalog":{"uuid":"7b6f6a1e-36e5-4d7c-9d3b-0c2f5f1b1a11","metadata":{"title":"t","last-modified":"2024-01-02T03:04:05.5Z","version":"1","oscal-version":"1.1.2"}}}`, `date-time pattern`},
		{"empty_array", `{"catalog":{"uuid":"7b6f6a1e-36e5-4d7c-9d3b-0c2f5f1b1a11","groups":[],"metadata":{"title":"t","last-modified":"2024-01-02T03:04:05Z","version":"1","oscal-version":"1.1.2"}}}`, `minItems`},
		{"prop_space", `{"catalog":{"uuid":"7b6f6a1e-36e5-4d7c-9d3b-0c2f5f1b1a11","metadata":{"title":"t","last-modified":"2024-01-02T03:04:05Z","version":"1","oscal-version":"1.1.2","props":[{"name":"a","value":" b"}]}}}`, `not an OSCAL string`},
		{"bad_token", `{"catalog":{"uuid":"7b6f6a1e-36e5-4d7c-9d3b-0c2f5f1b1a11","controls":[{"id":"1a","title":"x"}],"metadata":{"title":"t","last-modified":"2024-01-02T03:04:05Z","version":"1","oscal-version":"1.1.2"}}}`, `not a token`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(validate([]byte(tt.doc), "catalog-document"), "\n")
			if !strings.Contains(got, tt.want) {
				t.Errorf("problems = %q, want one containing %q", got, tt.want)
			}
		})
	}
}
