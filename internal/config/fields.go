package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// EnvPrefix starts the name of every environment variable read by [Load].
const EnvPrefix = "KHIEN_"

// FileSuffix ends the name of the environment variable that names a file
// holding an option's value: KHIEN_DATABASE_URL_FILE for database.url.
const FileSuffix = "_FILE"

// EnvConfigFile names the environment variable read for the configuration
// file path when neither [Sources.File] nor --config gives one.
const EnvConfigFile = "KHIEN_CONFIG"

// Option describes one leaf option of [Config], for documentation and
// `khien config dump`.
type Option struct {
	// Key is the dotted YAML path, e.g. "database.url".
	Key string
	// Env is the environment variable, e.g. "KHIEN_DATABASE_URL"; Env +
	// "_FILE" names a file holding the value instead.
	Env string
	// Flag is the command-line flag without dashes, or "" when the option
	// has none.
	Flag string
	// Default is the built-in value as it would be written in the file or
	// the environment ("" when empty).
	Default string
	// Doc is the one-line description, from the field's doc tag.
	Doc string
	// Secret reports a [Secret] option: its value is masked when shown.
	Secret bool
}

// Reference returns every leaf option of [Config] in declaration order.
func Reference() []Option {
	def := reflect.ValueOf(Default())
	fields := leafFields()
	opts := make([]Option, 0, len(fields))
	for _, f := range fields {
		opts = append(opts, Option{
			Key:     f.key,
			Env:     f.env,
			Flag:    f.flag,
			Default: formatValue(def.FieldByIndex(f.index)),
			Doc:     f.doc,
			Secret:  f.typ == secretType,
		})
	}
	return opts
}

var (
	durationType = reflect.TypeFor[Duration]()
	secretType   = reflect.TypeFor[Secret]()
)

// field is one leaf of the Config tree, found by walking its struct tags.
// It is the single description of an option used by the YAML decoder, the
// environment, the flags and [Reference].
type field struct {
	key   string // dotted YAML path
	env   string // KHIEN_ variable
	flag  string // flag name, or ""
	doc   string
	index []int // for reflect.Value.FieldByIndex on a Config
	typ   reflect.Type
}

// leafFields walks Config and returns its leaves in declaration order.
func leafFields() []field {
	var out []field
	walkStruct(reflect.TypeFor[Config](), "", nil, &out)
	return out
}

func walkStruct(t reflect.Type, prefix string, index []int, out *[]field) {
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if !sf.IsExported() || name == "" || name == "-" {
			continue
		}
		key := prefix + name
		idx := append(append([]int(nil), index...), i)
		if sf.Type.Kind() == reflect.Struct {
			walkStruct(sf.Type, key+".", idx, out)
			continue
		}
		if !isLeafType(sf.Type) {
			// A programmer error caught by TestReference: every field
			// must have a type this package can parse.
			panic(fmt.Sprintf("config: field %s has unsupported type %s", key, sf.Type))
		}
		*out = append(*out, field{
			key:   key,
			env:   envName(key),
			flag:  sf.Tag.Get("flag"),
			doc:   sf.Tag.Get("doc"),
			index: idx,
			typ:   sf.Type,
		})
	}
}

func isLeafType(t reflect.Type) bool {
	if t == durationType {
		return true
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int64:
		return true
	default:
		return false
	}
}

// envName derives the environment variable of a dotted YAML key:
// auth.session_ttl → KHIEN_AUTH_SESSION_TTL.
func envName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// setValue parses s into the leaf v. Its errors do not repeat s for
// secrets, and name no key: callers add where the value came from.
func setValue(v reflect.Value, s string) error {
	switch {
	case v.Type() == durationType:
		var d Duration
		if err := d.UnmarshalText([]byte(s)); err != nil {
			return err
		}
		v.SetInt(int64(d))
	case v.Kind() == reflect.String:
		v.SetString(s)
	case v.Kind() == reflect.Bool:
		b, err := parseBool(s)
		if err != nil {
			return err
		}
		v.SetBool(b)
	case v.Kind() == reflect.Int || v.Kind() == reflect.Int64:
		n, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("invalid integer %q", s)
		}
		v.SetInt(n)
	default:
		return fmt.Errorf("unsupported type %s", v.Type())
	}
	return nil
}

// parseBool accepts true, false (in any case), 1 and 0.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("invalid boolean %q (want true, false, 1 or 0)", s)
}

// formatValue writes the leaf v as it would be given in the file or the
// environment; a non-empty secret is masked.
func formatValue(v reflect.Value) string {
	switch {
	case v.Type() == durationType:
		return Duration(v.Int()).String()
	case v.Type() == secretType:
		return Secret(v.String()).String()
	case v.Kind() == reflect.String:
		return v.String()
	case v.Kind() == reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case v.Kind() == reflect.Int || v.Kind() == reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	}
	return fmt.Sprint(v.Interface())
}
