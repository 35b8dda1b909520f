package normalize

import (
	"strings"

	"khien.vn/khien/internal/event"
)

// PowerShell normalises the Microsoft-Windows-PowerShell/Operational
// channel: 4103 (module logging) and 4104 (script block logging).
type PowerShell struct{}

var _ Parser = PowerShell{}

// Name implements Parser.
func (PowerShell) Name() string { return "powershell" }

// Dataset implements Parser.
func (PowerShell) Dataset() string { return "windows.powershell_operational" }

// Match accepts events of the PowerShell Operational channel or provider.
func (PowerShell) Match(e *event.Event) bool {
	return isChannel(e, "Microsoft-Windows-PowerShell/Operational") || winProvider(e) == "Microsoft-Windows-PowerShell"
}

// Parse implements Parser.
func (PowerShell) Parse(e *event.Event) error {
	code := winCode(e)
	if code == "" {
		return errNoEventCode
	}
	e.Set(event.FieldEventCode, code)
	var errs errList
	switch code {
	case "4103":
		e.Set(event.FieldEventAction, "module-logged")
		setList(e, event.FieldEventCategory, "process")
		setList(e, FieldEventType, "info")
		mapContextInfo(e, &errs, val(e, ed+"ContextInfo"))
	case "4104":
		e.Set(event.FieldEventAction, "script-block-logged")
		setList(e, event.FieldEventCategory, "process")
		setList(e, FieldEventType, "info")
		e.Set("powershell.file.script_block_text", val(e, ed+"ScriptBlockText"))
		e.Set("powershell.file.script_block_id", val(e, ed+"ScriptBlockId"))
		e.Set("powershell.sequence", val(e, ed+"MessageNumber"))
		e.Set("powershell.total", val(e, ed+"MessageTotal"))
		setFile(e, "file", val(e, ed+"Path"))
	}
	return errs.err()
}

// contextKeys maps the English keys of 4103's ContextInfo to ECS and
// winlogbeat's powershell.* names. Other keys (and other languages) stay
// in winlog.event_data.ContextInfo only.
var contextKeys = map[string]string{
	"Host Name":        "powershell.process.host_name",
	"Host Version":     "powershell.process.executable_version",
	"Host ID":          "powershell.process.host_id",
	"Host Application": event.FieldProcessCmd,
	"Engine Version":   "powershell.engine.version",
	"Runspace ID":      "powershell.runspace_id",
	"Pipeline ID":      "powershell.pipeline_id",
	"Command Name":     "powershell.command.name",
	"Command Type":     "powershell.command.type",
	"Command Path":     "powershell.command.path",
	"Sequence Number":  "powershell.sequence",
	"Shell ID":         "powershell.id",
}

func mapContextInfo(e *event.Event, errs *errList, ctx string) {
	if ctx == "" {
		errs.addf("no ContextInfo")
		return
	}
	for line := range strings.SplitSeq(ctx, "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if v == "" {
			continue
		}
		switch k {
		case "User":
			setDomainUser(e, "user", v)
		case "Connected User":
			setDomainUser(e, "powershell.connected_user", v)
		case "Script Name":
			setFile(e, "file", v)
		default:
			if name, ok := contextKeys[k]; ok {
				e.Set(name, v)
			}
		}
	}
}
