package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// MaxDepth bounds the nesting of a JSON document a receiver flattens.
const MaxDepth = 32

// MaxFields bounds the fields of one flattened document.
const MaxFields = 2000

// DecodeJSON decodes one JSON value keeping numbers as written.
func DecodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("more than one JSON value")
	}
	return v, nil
}

// Flatten writes the leaves of a decoded JSON value into out with dotted
// names under prefix: objects nest ("host" → {"name"} gives "host.name"),
// numbers keep their text, booleans are "true"/"false", nulls and empty
// keys are left out, and arrays are kept as their JSON text, so that
// nothing is lost. It fails beyond MaxDepth levels or MaxFields fields.
func Flatten(out map[string]string, prefix string, v any) error {
	return flatten(out, prefix, v, 0)
}

func flatten(out map[string]string, prefix string, v any, depth int) error {
	if depth > MaxDepth {
		return fmt.Errorf("nested deeper than %d levels", MaxDepth)
	}
	if len(out) > MaxFields {
		return fmt.Errorf("more than %d fields", MaxFields)
	}
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if k == "" {
				continue // no field without a name
			}
			name := k
			if prefix != "" {
				name = prefix + "." + k
			}
			if err := flatten(out, name, val, depth+1); err != nil {
				return err
			}
		}
	case []any:
		if prefix == "" {
			return fmt.Errorf("a JSON array is not a document")
		}
		b, err := json.Marshal(x)
		if err != nil {
			return err
		}
		out[prefix] = string(b)
	case string:
		if prefix != "" {
			out[prefix] = x
		}
	case json.Number:
		if prefix != "" {
			out[prefix] = x.String()
		}
	case bool:
		if prefix != "" {
			out[prefix] = strconv.FormatBool(x)
		}
	}
	return nil
}
