package normalize

import (
	"strings"

	"khien.vn/khien/internal/event"
)

// Defender normalises the Microsoft-Windows-Windows Defender/Operational
// channel: detections (1116), actions taken or failed (1117–1119) and
// real-time protection switched off (5001).
type Defender struct{}

var _ Parser = Defender{}

// Name implements Parser.
func (Defender) Name() string { return "defender" }

// Dataset implements Parser.
func (Defender) Dataset() string { return "windows.defender_operational" }

// Match accepts events of the Defender Operational channel or provider.
func (Defender) Match(e *event.Event) bool {
	return isChannel(e, "Microsoft-Windows-Windows Defender/Operational") || winProvider(e) == "Microsoft-Windows-Windows Defender"
}

// Parse implements Parser.
func (Defender) Parse(e *event.Event) error {
	code := winCode(e)
	if code == "" {
		return errNoEventCode
	}
	e.Set(event.FieldEventCode, code)
	var errs errList
	switch code {
	case "1116", "1117", "1118", "1119":
		e.Set(FieldEventKind, "alert")
		setList(e, event.FieldEventCategory, "malware")
		setList(e, FieldEventType, "info")
		switch code {
		case "1116":
			e.Set(event.FieldEventAction, "malware-detected")
		case "1117":
			e.Set(event.FieldEventAction, "malware-action-taken")
			e.Set(event.FieldEventOutcome, "success")
		default:
			e.Set(event.FieldEventAction, "malware-action-failed")
			e.Set(event.FieldEventOutcome, "failure")
		}
		e.Set("threat.software.name", val(e, ed+"Threat Name"))
		e.Set("threat.software.type", "Malware")
		e.Set("event.severity", val(e, ed+"Severity ID"))
		if p := val(e, ed+"Process Name"); p != "Unknown" {
			setExecutable(e, "process", p)
		}
		setDomainUser(e, "user", val(e, ed+"Detection User"))
		mapDefenderPath(e, val(e, ed+"Path"))
	case "5001":
		e.Set(event.FieldEventAction, "real-time-protection-disabled")
		setList(e, event.FieldEventCategory, "configuration")
		setList(e, FieldEventType, "change")
	}
	return errs.err()
}

// mapDefenderPath reads the first file resource of Defender's Path
// ("file:_C:\x.exe; containerfile:_C:\a.zip; webfile:_C:\y|https://…").
func mapDefenderPath(e *event.Event, p string) {
	for res := range strings.SplitSeq(p, ";") {
		kind, path, ok := strings.Cut(strings.TrimSpace(res), ":_")
		if !ok {
			continue
		}
		switch kind {
		case "file", "containerfile":
			setFile(e, "file", path)
			return
		case "webfile":
			path, url, _ := strings.Cut(path, "|")
			setFile(e, "file", path)
			e.Set("url.original", url)
			return
		}
	}
}
