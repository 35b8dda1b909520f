package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
)

// Sources says where [Load] reads the configuration from, besides the
// built-in defaults.
type Sources struct {
	// File is the YAML file to read. When empty, the --config flag of
	// Flags is used, then the KHIEN_CONFIG environment variable; when all
	// are empty no file is read. A named file that does not exist is an
	// error.
	File string
	// LookupEnv reads the environment: os.LookupEnv in production, a map
	// lookup in tests. Nil means no environment.
	LookupEnv func(string) (string, bool)
	// Flags holds the parsed command-line flags; only flags the user set
	// override the other sources. Nil means no flags.
	Flags *Flags
}

// Load builds the effective configuration: [Default], overridden by the
// YAML file, then by KHIEN_* environment variables, then by the flags the
// user set; it then runs [Config.Validate].
//
// Load does not stop at the first problem: the error joins every YAML
// syntax error, unknown key, unparsable value (from any source) and
// validation problem, each naming the key, variable or flag at fault, and
// validation problems also name the source that set the value. The
// returned Config holds everything that could be applied, so that a caller
// such as `khien config check` can show it; it must not be used to run
// when the error is non-nil.
func Load(src Sources) (Config, error) {
	l := loader{
		cfg:    Default(),
		fields: leafFields(),
		origin: make(map[string]string),
	}
	if path := src.configFile(); path != "" {
		l.file(path)
	}
	if src.LookupEnv != nil {
		l.env(src.LookupEnv)
	}
	if src.Flags != nil {
		l.flags(src.Flags)
	}
	for _, p := range l.cfg.validate() {
		if from, ok := l.origin[p.key]; ok {
			p.key += " (set by " + from + ")"
		}
		l.problems = append(l.problems, p)
	}
	return l.cfg, errors.Join(l.problems...)
}

// configFile resolves which YAML file to read, "" for none.
func (s Sources) configFile() string {
	if s.File != "" {
		return s.File
	}
	if s.Flags != nil && s.Flags.ConfigFile() != "" {
		return s.Flags.ConfigFile()
	}
	if s.LookupEnv != nil {
		if v, ok := s.LookupEnv(EnvConfigFile); ok {
			return v
		}
	}
	return ""
}

// loader applies the sources to cfg, collecting problems instead of
// stopping at the first.
type loader struct {
	cfg      Config
	fields   []field
	origin   map[string]string // key → where its value was last set, for messages
	problems []error
}

func (l *loader) value(f field) reflect.Value {
	return reflect.ValueOf(&l.cfg).Elem().FieldByIndex(f.index)
}

func (l *loader) file(path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		l.problems = append(l.problems, fmt.Errorf("config file: %w", err))
		return
	}
	d := newYAMLDecoder(path, &l.cfg, l.fields)
	d.decode(data)
	for key, pos := range d.set {
		l.origin[key] = pos
	}
	l.problems = append(l.problems, d.problems...)
}

// env applies KHIEN_<KEY> and KHIEN_<KEY>_FILE for every option.
func (l *loader) env(lookup func(string) (string, bool)) {
	for _, f := range l.fields {
		val, hasVal := lookup(f.env)
		path, hasFile := lookup(f.env + FileSuffix)
		from := f.env
		switch {
		case hasVal && hasFile:
			l.problems = append(l.problems, fmt.Errorf("%s and %s%s are both set; set only one", f.env, f.env, FileSuffix))
			continue
		case hasFile:
			from = f.env + FileSuffix
			b, err := os.ReadFile(path)
			if err != nil {
				l.problems = append(l.problems, fmt.Errorf("%s (%s): %w", from, f.key, err))
				continue
			}
			val = strings.TrimRight(string(b), "\r\n")
		case !hasVal:
			continue
		}
		if err := setValue(l.value(f), val); err != nil {
			l.problems = append(l.problems, fmt.Errorf("%s (%s): %w", from, f.key, err))
			continue
		}
		l.origin[f.key] = from
	}
}

// flags applies the flags the user set.
func (l *loader) flags(fl *Flags) {
	for _, f := range l.fields {
		raw, ok := fl.lookup(f.flag)
		if !ok {
			continue
		}
		from := "--" + f.flag
		if err := setValue(l.value(f), raw); err != nil {
			l.problems = append(l.problems, fmt.Errorf("flag %s (%s): %w", from, f.key, err))
			continue
		}
		l.origin[f.key] = from
	}
}
