package intel

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"net/netip"
	"net/url"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// MaxValue is the longest indicator value, in bytes.
const MaxValue = 2048

// The broadest networks accepted as indicators.
const (
	MinIPv4Prefix = 8
	MinIPv6Prefix = 16
)

// Normalize checks v as a value of type t and returns its canonical form:
// IPs as netip prints them (IPv4-mapped IPv6 unmapped), networks masked
// ("10.0.0.0/8"), domains lower case without a trailing dot and in
// ASCII (punycode), hashes lower-case hex of the right length, e-mail
// addresses lower case, URLs and file names trimmed.
func Normalize(t Type, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", errors.New("empty value")
	}
	if len(v) > MaxValue || !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", fmt.Errorf("%s value is too long or has control characters", t)
	}
	switch t {
	case IP:
		a, err := netip.ParseAddr(v)
		if err != nil || a.Zone() != "" {
			return "", fmt.Errorf("%q is not an IP address", v)
		}
		return a.Unmap().String(), nil
	case CIDR:
		p, err := netip.ParsePrefix(v)
		if err != nil {
			if a, aerr := netip.ParseAddr(v); aerr == nil {
				return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()).String(), nil
			}
			return "", fmt.Errorf("%q is not a network", v)
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			if p.Bits() < 0 {
				return "", fmt.Errorf("%q is not a network", v)
			}
		}
		// A network that broad would match much of the internet: an error
		// in the source, not an indicator.
		if p.Addr().Is4() && p.Bits() < MinIPv4Prefix || p.Addr().Is6() && p.Bits() < MinIPv6Prefix {
			return "", fmt.Errorf("%q is too broad to be an indicator (at least /%d for IPv4, /%d for IPv6)", v, MinIPv4Prefix, MinIPv6Prefix)
		}
		return p.Masked().String(), nil
	case Domain:
		d := strings.TrimSuffix(strings.ToLower(v), ".")
		a, err := idna.Lookup.ToASCII(d)
		// A name whose last label is all digits is no host name (and in
		// plain lists, a version number or a date).
		if err != nil || !strings.Contains(a, ".") || isDigits(a[strings.LastIndexByte(a, '.')+1:]) {
			return "", fmt.Errorf("%q is not a domain name", v)
		}
		return a, nil
	case URL:
		u, err := url.Parse(v)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return "", fmt.Errorf("%q is not an absolute URL", v)
		}
		return v, nil
	case MD5, SHA1, SHA256, SHA512:
		want := map[Type]int{MD5: 32, SHA1: 40, SHA256: 64, SHA512: 128}[t]
		h := strings.ToLower(v)
		if len(h) != want {
			return "", fmt.Errorf("%q is not a %s hash (%d hex digits)", v, t, want)
		}
		if _, err := hex.DecodeString(h); err != nil {
			return "", fmt.Errorf("%q is not a %s hash (%d hex digits)", v, t, want)
		}
		return h, nil
	case FileName:
		if strings.ContainsAny(v, `/\`) {
			return "", fmt.Errorf("%q is a path, not a file name", v)
		}
		return v, nil
	case Email:
		a, err := mail.ParseAddress(v)
		// Quoted local parts ("a b"@x) come back unquoted and would not
		// parse again: refused, so that a value normalises to itself.
		if err != nil || a.Name != "" || strings.ContainsAny(a.Address, " \"\\") {
			return "", fmt.Errorf("%q is not an e-mail address", v)
		}
		return strings.ToLower(a.Address), nil
	}
	return "", fmt.Errorf("unknown indicator type %q", t)
}

// DetectType guesses the type of a bare value from a plain list: an IP, a
// network, a hash by its length, a URL with a scheme, an e-mail address,
// else a domain name. It returns the normalised value.
func DetectType(v string) (Type, string, error) {
	v = strings.TrimSpace(v)
	// Defanged indicators, as reports print them: hxxp://, [.], (.), [@].
	v = strings.NewReplacer("hxxp", "http", "[.]", ".", "(.)", ".", "[:]", ":", "[@]", "@", "[at]", "@").Replace(v)
	try := func(t Type) (Type, string, bool) {
		n, err := Normalize(t, v)
		return t, n, err == nil
	}
	for _, t := range []Type{IP, CIDR} {
		if t, n, ok := try(t); ok {
			return t, n, nil
		}
	}
	if isHex(v) {
		switch len(v) {
		case 32:
			return MD5, strings.ToLower(v), nil
		case 40:
			return SHA1, strings.ToLower(v), nil
		case 64:
			return SHA256, strings.ToLower(v), nil
		case 128:
			return SHA512, strings.ToLower(v), nil
		}
	}
	if strings.Contains(v, "://") {
		if t, n, ok := try(URL); ok {
			return t, n, nil
		}
	}
	if strings.Contains(v, "@") {
		if t, n, ok := try(Email); ok {
			return t, n, nil
		}
	}
	if t, n, ok := try(Domain); ok && !strings.ContainsAny(v, " /:") {
		return t, n, nil
	}
	return "", "", fmt.Errorf("cannot tell what %q is", v)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return s != ""
}
