package config

import (
	"flag"
	"fmt"
	"reflect"
)

// Flags holds the configuration flags bound to a flag.FlagSet by
// [BindFlags]. Pass it to [Load] in [Sources.Flags] after the FlagSet has
// been parsed.
type Flags struct {
	fs     *flag.FlagSet
	config string
	values map[string]*flagValue // by flag name
}

// BindFlags registers --config and one flag per option with a flag tag
// (--listen, --data, --log-level, --tls-cert, --tls-key, --insecure-http)
// on fs, which must be a FlagSet of the caller's, never flag.CommandLine.
// Flag values are only parsed by [Load], so that a bad value is reported
// with every other problem.
func BindFlags(fs *flag.FlagSet) *Flags {
	f := &Flags{fs: fs, values: make(map[string]*flagValue)}
	fs.StringVar(&f.config, "config", "",
		fmt.Sprintf("YAML configuration `file` (default from %s; none when unset)", EnvConfigFile))
	def := Reference()
	for i, fld := range leafFields() {
		if fld.flag == "" {
			continue
		}
		v := &flagValue{def: def[i].Default, isBool: fld.typ.Kind() == reflect.Bool}
		f.values[fld.flag] = v
		fs.Var(v, fld.flag, fmt.Sprintf("%s (%s, env %s)", fld.doc, fld.key, fld.env))
	}
	return f
}

// ConfigFile returns the value of --config, "" when not set.
func (f *Flags) ConfigFile() string {
	if f == nil {
		return ""
	}
	return f.config
}

// lookup returns the raw value of the named flag if the user set it.
func (f *Flags) lookup(name string) (string, bool) {
	if name == "" {
		return "", false
	}
	var (
		raw string
		set bool
	)
	f.fs.Visit(func(fl *flag.Flag) {
		if v, ok := f.values[name]; ok && fl.Name == name && fl.Value == v {
			raw, set = v.raw, true
		}
	})
	return raw, set
}

// flagValue records a flag's raw text; [Load] parses it like an
// environment value.
type flagValue struct {
	raw    string
	set    bool
	def    string // shown in usage
	isBool bool
}

func (v *flagValue) String() string {
	switch {
	case v == nil:
		return ""
	case v.set:
		return v.raw
	default:
		return v.def
	}
}

func (v *flagValue) Set(s string) error {
	v.raw, v.set = s, true
	return nil
}

// IsBoolFlag lets a boolean option be given as a bare --name.
func (v *flagValue) IsBoolFlag() bool { return v.isBool }
