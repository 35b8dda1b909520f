package syslog

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultLocation is the zone of RFC 3164 timestamps from senders that no
// rule names: Asia/Ho_Chi_Minh, as the fixed offset UTC+7 (Vietnam has no
// daylight saving time), so that it needs no time-zone database.
var DefaultLocation = time.FixedZone("+07", 7*60*60)

// TimeZones says in which time zone each sender writes its RFC 3164
// timestamps, which carry neither a zone nor a year. A nil *TimeZones
// gives [DefaultLocation] for every sender. It is immutable once built and
// safe for concurrent use.
type TimeZones struct {
	def   *time.Location
	rules []zoneRule // most specific prefix first
}

type zoneRule struct {
	prefix netip.Prefix
	loc    *time.Location
}

// NewTimeZones builds the zone table. def is the zone of senders that no
// rule matches ("" = [DefaultLocation]); senders maps an IP address
// ("192.0.2.7") or a CIDR prefix ("10.0.0.0/8", "2001:db8::/32") to a zone.
// The most specific prefix that contains a sender wins. Zones are written
// as accepted by [LoadLocation].
func NewTimeZones(def string, senders map[string]string) (*TimeZones, error) {
	z := &TimeZones{def: DefaultLocation}
	var problems []string
	if def != "" {
		loc, err := LoadLocation(def)
		if err != nil {
			problems = append(problems, err.Error())
		}
		z.def = loc
	}
	for key, name := range senders {
		prefix, err := parsePrefix(key)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		loc, err := LoadLocation(name)
		if err != nil {
			problems = append(problems, fmt.Sprintf("sender %s: %v", key, err))
			continue
		}
		z.rules = append(z.rules, zoneRule{prefix: prefix, loc: loc})
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return nil, fmt.Errorf("syslog time zones: %s", strings.Join(problems, "; "))
	}
	slices.SortFunc(z.rules, func(a, b zoneRule) int {
		if a.prefix.Bits() != b.prefix.Bits() {
			return b.prefix.Bits() - a.prefix.Bits()
		}
		return a.prefix.Addr().Compare(b.prefix.Addr())
	})
	return z, nil
}

// Lookup returns the zone of a sender's RFC 3164 timestamps.
func (z *TimeZones) Lookup(addr netip.Addr) *time.Location {
	if z == nil {
		return DefaultLocation
	}
	addr = addr.Unmap()
	for _, r := range z.rules {
		if r.prefix.Contains(addr) {
			return r.loc
		}
	}
	return z.def
}

// LoadLocation reads a zone written as an IANA name ("Asia/Bangkok",
// "UTC"; "Asia/Ho_Chi_Minh" and "Asia/Saigon" need no time-zone database
// and give [DefaultLocation]), as a fixed offset from UTC ("+07:00",
// "+0700", "-05", "UTC+7", "GMT-3:30"), or as "Local", the zone of the
// machine Khiên runs on (for senders on the same machine).
func LoadLocation(name string) (*time.Location, error) {
	s := strings.TrimSpace(name)
	switch s {
	case "":
		return nil, fmt.Errorf("empty time zone")
	case "Asia/Ho_Chi_Minh", "Asia/Saigon":
		return DefaultLocation, nil
	case "UTC", "Z", "GMT":
		return time.UTC, nil
	case "Local":
		return time.Local, nil
	}
	if off, ok := parseOffset(s); ok {
		if off == 0 {
			return time.UTC, nil
		}
		return time.FixedZone(formatOffset(off), off), nil
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", name, err)
	}
	return loc, nil
}

// parseOffset reads "+07:00", "+0700", "+7", "UTC+7", "GMT-03:30" as
// seconds east of UTC.
func parseOffset(s string) (int, bool) {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "UTC"), "GMT")
	if len(s) < 2 || (s[0] != '+' && s[0] != '-') {
		return 0, false
	}
	sign := 1
	if s[0] == '-' {
		sign = -1
	}
	s = s[1:]
	var hh, mm string
	switch {
	case strings.Contains(s, ":"):
		hh, mm, _ = strings.Cut(s, ":")
	case len(s) == 4:
		hh, mm = s[:2], s[2:]
	default:
		hh = s
	}
	h, err := strconv.Atoi(hh)
	if err != nil || len(hh) > 2 || h > 14 {
		return 0, false
	}
	m := 0
	if mm != "" {
		m, err = strconv.Atoi(mm)
		if err != nil || len(mm) != 2 || m > 59 {
			return 0, false
		}
	}
	return sign * (h*3600 + m*60), true
}

func formatOffset(off int) string {
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	h, m := off/3600, off%3600/60
	if m == 0 {
		return fmt.Sprintf("%c%02d", sign, h)
	}
	return fmt.Sprintf("%c%02d%02d", sign, h, m)
}

func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("sender %q: %w", s, err)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("sender %q: %w", s, err)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}
