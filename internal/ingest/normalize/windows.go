package normalize

import (
	"strings"

	"khien.vn/khien/internal/event"
)

// Fields Windows events arrive with (EVTX reader and Winlogbeat alike).
const (
	fieldChannel  = "winlog.channel"
	fieldEventID  = "winlog.event_id"
	fieldProvider = "winlog.provider_name"
	ed            = "winlog.event_data."
	ud            = "winlog.user_data."
)

// winCode returns the event ID (event.code, else winlog.event_id).
func winCode(e *event.Event) string {
	if c := e.Fields[event.FieldEventCode]; c != "" {
		return c
	}
	return e.Fields[fieldEventID]
}

// winProvider returns the provider name (event.provider, else
// winlog.provider_name).
func winProvider(e *event.Event) string {
	if p := e.Fields[event.FieldEventProvider]; p != "" {
		return p
	}
	return e.Fields[fieldProvider]
}

// isChannel reports whether the event's channel is name (case-insensitive).
func isChannel(e *event.Event, name string) bool {
	return strings.EqualFold(e.Fields[fieldChannel], name)
}

// val returns a Windows data field, "" for the placeholders Windows writes
// for "nothing" ("-", "%%1793" is kept: it is a message reference).
func val(e *event.Event, name string) string {
	v := e.Fields[name]
	if v == "-" {
		return ""
	}
	return v
}

// setUser sets <prefix>.name/.domain/.id from three data fields.
func setUser(e *event.Event, prefix, name, domain, sid string) {
	n := val(e, name)
	if n == "" {
		return
	}
	setf(e, prefix, ".name", n)
	setf(e, prefix, ".domain", val(e, domain))
	if s := val(e, sid); s != "" && s != "S-1-0-0" && s != "NULL SID" {
		setf(e, prefix, ".id", s)
	}
}

// setDomainUser splits "DOMAIN\user" into <prefix>.domain and .name.
func setDomainUser(e *event.Event, prefix, v string) {
	if v == "" || v == "-" {
		return
	}
	if i := strings.IndexByte(v, '\\'); i >= 0 {
		setf(e, prefix, ".domain", v[:i])
		setf(e, prefix, ".name", v[i+1:])
		return
	}
	setf(e, prefix, ".name", v)
}

// setHexPID sets name to the decimal value of a hexadecimal process ID.
func setHexPID(e *event.Event, errs *errList, name, v string) {
	if v == "" || v == "-" {
		return
	}
	d, err := hexToDec(v)
	if err != nil {
		errs.addf("%s: %v", name, err)
		return
	}
	e.Set(name, d)
}

// setPID sets name to a decimal process ID after checking it.
func setPID(e *event.Event, errs *errList, name, v string) {
	if v == "" || v == "-" {
		return
	}
	if !isDigits(v) || len(v) > 10 {
		errs.addf("%s: %q is not a process ID", name, v)
		return
	}
	e.Set(name, v)
}

// setExecutable sets <prefix>.executable and <prefix>.name from a path.
func setExecutable(e *event.Event, prefix, path string) {
	if path == "" || path == "-" {
		return
	}
	setf(e, prefix, ".executable", path)
	setf(e, prefix, ".name", baseName(path))
}

// setHashes reads Sysmon's "SHA1=…,MD5=…,SHA256=…,IMPHASH=…" into
// <prefix>.hash.* (lower-case hex) and <prefix>.pe.imphash.
func setHashes(e *event.Event, errs *errList, prefix, v string) {
	if v == "" || v == "-" {
		return
	}
	for part := range strings.SplitSeq(v, ",") {
		algo, sum, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || !isHexDigits(sum) {
			errs.addf("hashes: cannot read %q", part)
			continue
		}
		sum = lower(sum)
		switch lower(algo) {
		case "md5":
			setf(e, prefix, ".hash.md5", sum)
		case "sha1":
			setf(e, prefix, ".hash.sha1", sum)
		case "sha256":
			setf(e, prefix, ".hash.sha256", sum)
		case "sha384":
			setf(e, prefix, ".hash.sha384", sum)
		case "sha512":
			setf(e, prefix, ".hash.sha512", sum)
		case "imphash":
			setf(e, prefix, ".pe.imphash", sum)
		}
	}
}
