package sigma

import (
	"math"
	"strconv"
	"strings"
)

// Int returns v as an integer: a Number written as a YAML integer
// (decimal, 0x…, 0o…, 0b…, with optional sign and _ separators), or a
// String holding a decimal integer ("4688"). ok is false otherwise, or
// when the integer overflows int64.
func (v Value) Int() (int64, bool) {
	switch v.Kind {
	case Number:
		i, err := strconv.ParseInt(yamlDigits(v.Raw), 0, 64)
		return i, err == nil
	case String:
		s := strings.TrimSpace(v.Raw)
		if s == "" || !isDecimal(s) {
			return 0, false
		}
		i, err := strconv.ParseInt(s, 10, 64)
		return i, err == nil
	}
	return 0, false
}

// Float returns v as a float64: any Number (including YAML's .inf and
// .nan), or a String holding a finite decimal number ("1.5", "-3",
// "2e10"). ok is false otherwise.
func (v Value) Float() (float64, bool) {
	switch v.Kind {
	case Number:
		if f, ok := yamlSpecialFloat(v.Raw); ok {
			return f, true
		}
		s := yamlDigits(v.Raw)
		if i, err := strconv.ParseInt(s, 0, 64); err == nil {
			return float64(i), true
		}
		if u, ok := parseYAMLUint(s); ok {
			return float64(u), true
		}
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil
	case String:
		s := strings.TrimSpace(v.Raw)
		if !isDecimalFloat(s) {
			return 0, false
		}
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil && !math.IsInf(f, 0)
	}
	return 0, false
}

// parseYAMLUint parses integers above math.MaxInt64.
func parseYAMLUint(s string) (uint64, bool) {
	u, err := strconv.ParseUint(strings.TrimPrefix(yamlDigits(s), "+"), 0, 64)
	return u, err == nil
}

// yamlDigits drops the "_" digit separators YAML 1.1 allows anywhere in
// a number (Go's strconv only between digits).
func yamlDigits(s string) string {
	if strings.IndexByte(s, '_') < 0 {
		return s
	}
	return strings.ReplaceAll(s, "_", "")
}

// yamlSpecialFloat parses YAML's .inf, -.inf, +.inf and .nan (any case).
func yamlSpecialFloat(s string) (float64, bool) {
	sign := 1.0
	t := s
	switch {
	case strings.HasPrefix(t, "-"):
		sign, t = -1, t[1:]
	case strings.HasPrefix(t, "+"):
		t = t[1:]
	}
	switch strings.ToLower(t) {
	case ".inf":
		return math.Inf(int(sign)), true
	case ".nan":
		if s != t { // a sign on .nan is not YAML
			return 0, false
		}
		return math.NaN(), true
	}
	return 0, false
}

// isDecimal reports whether s is an optional sign followed by digits.
func isDecimal(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isDecimalFloat reports whether s is a plain decimal number: optional
// sign, digits with an optional fraction, optional exponent. It excludes
// what strconv.ParseFloat also accepts but a rule author would not mean
// as a number ("inf", "NaN", hexadecimal, "_" separators).
func isDecimalFloat(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}
