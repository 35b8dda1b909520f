package normalize

import (
	"strings"

	"khien.vn/khien/internal/event"
)

// Sysmon normalises the Microsoft-Windows-Sysmon/Operational channel.
type Sysmon struct{}

var _ Parser = Sysmon{}

// Name implements Parser.
func (Sysmon) Name() string { return "sysmon" }

// Dataset implements Parser.
func (Sysmon) Dataset() string { return "windows.sysmon_operational" }

// Match accepts events of the Sysmon channel or provider.
func (Sysmon) Match(e *event.Event) bool {
	return isChannel(e, "Microsoft-Windows-Sysmon/Operational") || winProvider(e) == "Microsoft-Windows-Sysmon"
}

type sysmonEvent struct {
	action   string
	category []string
	typ      []string
}

var sysmonEvents = map[string]sysmonEvent{
	"1":  {"process-created", []string{"process"}, []string{"start"}},
	"3":  {"network-connection", []string{"network"}, []string{"connection", "start"}},
	"5":  {"process-terminated", []string{"process"}, []string{"end"}},
	"7":  {"image-loaded", []string{"process"}, []string{"change"}},
	"8":  {"remote-thread-created", []string{"process"}, []string{"change"}},
	"10": {"process-accessed", []string{"process"}, []string{"access"}},
	"11": {"file-created", []string{"file"}, []string{"creation"}},
	"12": {"registry-object-added-or-deleted", []string{"registry"}, []string{"change"}},
	"13": {"registry-value-set", []string{"registry"}, []string{"change"}},
	"14": {"registry-object-renamed", []string{"registry"}, []string{"change"}},
	"15": {"file-stream-created", []string{"file"}, []string{"creation"}},
	"22": {"dns-query", []string{"network"}, []string{"protocol", "info"}},
	"23": {"file-deleted", []string{"file"}, []string{"deletion"}},
	"25": {"process-tampered", []string{"process"}, []string{"change"}},
}

// Parse implements Parser.
func (Sysmon) Parse(e *event.Event) error {
	code := winCode(e)
	if code == "" {
		return errNoEventCode
	}
	e.Set(event.FieldEventCode, code)
	se, ok := sysmonEvents[code]
	if !ok {
		return nil
	}
	e.Set(event.FieldEventAction, se.action)
	setList(e, event.FieldEventCategory, se.category...)
	setList(e, FieldEventType, se.typ...)
	var errs errList
	switch code {
	case "8", "10":
		// The source process acts on a target process; the target
		// stays in winlog.event_data (Target*).
		guid := val(e, ed+"SourceProcessGuid")
		if guid == "" {
			guid = val(e, ed+"SourceProcessGUID")
		}
		e.Set("process.entity_id", guid)
		setPID(e, &errs, "process.pid", val(e, ed+"SourceProcessId"))
		setExecutable(e, "process", val(e, ed+"SourceImage"))
		setPID(e, &errs, "process.thread.id", val(e, ed+"SourceThreadId"))
		setDomainUser(e, "user", val(e, ed+"SourceUser"))
	default:
		e.Set("process.entity_id", val(e, ed+"ProcessGuid"))
		setPID(e, &errs, "process.pid", val(e, ed+"ProcessId"))
		setExecutable(e, "process", val(e, ed+"Image"))
		setDomainUser(e, "user", val(e, ed+"User"))
	}
	switch code {
	case "1":
		e.Set(event.FieldProcessCmd, val(e, ed+"CommandLine"))
		e.Set("process.working_directory", val(e, ed+"CurrentDirectory"))
		setPE(e, "process.pe")
		setHashes(e, &errs, "process", val(e, ed+"Hashes"))
		e.Set("process.parent.entity_id", val(e, ed+"ParentProcessGuid"))
		setPID(e, &errs, "process.parent.pid", val(e, ed+"ParentProcessId"))
		setExecutable(e, "process.parent", val(e, ed+"ParentImage"))
		e.Set("process.parent.command_line", val(e, ed+"ParentCommandLine"))
	case "3":
		mapSysmonNetwork(e, &errs)
	case "7":
		setFile(e, "file", val(e, ed+"ImageLoaded"))
		setPE(e, "file.pe")
		setHashes(e, &errs, "file", val(e, ed+"Hashes"))
		switch val(e, ed+"Signed") {
		case "true":
			e.Set("file.code_signature.signed", "true")
		case "false":
			e.Set("file.code_signature.signed", "false")
		}
		e.Set("file.code_signature.subject_name", val(e, ed+"Signature"))
		if st := val(e, ed+"SignatureStatus"); st != "" {
			e.Set("file.code_signature.status", st)
			if st == "Valid" {
				e.Set("file.code_signature.valid", "true")
			} else {
				e.Set("file.code_signature.valid", "false")
			}
		}
	case "11", "23":
		setFile(e, "file", val(e, ed+"TargetFilename"))
		setHashes(e, &errs, "file", val(e, ed+"Hashes"))
	case "15":
		setFile(e, "file", val(e, ed+"TargetFilename"))
		setHashes(e, &errs, "file", val(e, ed+"Hash"))
	case "12", "13", "14":
		mapSysmonRegistry(e, &errs)
	case "22":
		mapSysmonDNS(e)
	}
	return errs.err()
}

// setPE sets <prefix>.original_file_name and the version resource.
func setPE(e *event.Event, prefix string) {
	setf(e, prefix, ".original_file_name", val(e, ed+"OriginalFileName"))
	setf(e, prefix, ".description", val(e, ed+"Description"))
	setf(e, prefix, ".product", val(e, ed+"Product"))
	setf(e, prefix, ".company", val(e, ed+"Company"))
	setf(e, prefix, ".file_version", val(e, ed+"FileVersion"))
}

func mapSysmonNetwork(e *event.Event, errs *errList) {
	e.Set("network.transport", lower(val(e, ed+"Protocol")))
	if val(e, ed+"SourceIsIpv6") == "true" {
		e.Set("network.type", "ipv6")
	} else if val(e, ed+"SourceIsIpv6") == "false" {
		e.Set("network.type", "ipv4")
	}
	switch val(e, ed+"Initiated") {
	case "true":
		e.Set("network.direction", "egress")
	case "false":
		e.Set("network.direction", "ingress")
	}
	setIP(e, errs, "source.ip", val(e, ed+"SourceIp"))
	setPort(e, errs, "source.port", val(e, ed+"SourcePort"))
	e.Set("source.domain", val(e, ed+"SourceHostname"))
	setIP(e, errs, "destination.ip", val(e, ed+"DestinationIp"))
	setPort(e, errs, "destination.port", val(e, ed+"DestinationPort"))
	e.Set("destination.domain", val(e, ed+"DestinationHostname"))
	e.Set("network.protocol", val(e, ed+"DestinationPortName"))
}

// Registry hives as Sysmon writes them, and their kernel names.
var registryHives = map[string]string{
	"HKLM":               "HKLM",
	"HKU":                "HKU",
	"HKCU":               "HKCU",
	"HKCR":               "HKCR",
	"HKCC":               "HKCC",
	`\REGISTRY\MACHINE`:  "HKLM",
	`\REGISTRY\USER`:     "HKU",
	"HKEY_LOCAL_MACHINE": "HKLM",
	"HKEY_USERS":         "HKU",
	"HKEY_CURRENT_USER":  "HKCU",
	"HKEY_CLASSES_ROOT":  "HKCR",
}

func mapSysmonRegistry(e *event.Event, errs *errList) {
	path := val(e, ed+"TargetObject")
	if path == "" {
		errs.addf("registry: no TargetObject")
		return
	}
	e.Set("registry.path", path)
	kind := val(e, ed+"EventType")
	switch kind {
	case "CreateKey", "CreateValue":
		setList(e, FieldEventType, "creation")
	case "DeleteKey", "DeleteValue":
		setList(e, FieldEventType, "deletion")
	}
	hiveEnd := strings.IndexByte(path, '\\')
	if strings.HasPrefix(path, `\REGISTRY\`) {
		if i := strings.IndexByte(path[len(`\REGISTRY\`):], '\\'); i >= 0 {
			hiveEnd = len(`\REGISTRY\`) + i
		} else {
			hiveEnd = -1
		}
	}
	if hiveEnd < 0 {
		return
	}
	hive, ok := registryHives[strings.ToUpper(path[:hiveEnd])]
	if !ok {
		return
	}
	e.Set("registry.hive", hive)
	key := path[hiveEnd+1:]
	// A value event's TargetObject ends with the value name.
	if kind == "SetValue" || kind == "CreateValue" || kind == "DeleteValue" {
		if i := strings.LastIndexByte(key, '\\'); i >= 0 {
			e.Set("registry.value", key[i+1:])
			key = key[:i]
		}
	}
	e.Set("registry.key", key)
	if d := val(e, ed+"Details"); d != "" {
		e.Set("registry.data.strings", d)
		switch {
		case strings.HasPrefix(d, "DWORD"):
			e.Set("registry.data.type", "REG_DWORD")
		case strings.HasPrefix(d, "QWORD"):
			e.Set("registry.data.type", "REG_QWORD")
		case d == "Binary Data":
			e.Set("registry.data.type", "REG_BINARY")
		}
	}
}

// DNS status codes Sysmon reports in QueryStatus (Win32 DNS errors).
var dnsQueryStatus = map[string]string{
	"0":    "NOERROR",
	"9001": "FORMERR",
	"9002": "SERVFAIL",
	"9003": "NXDOMAIN",
	"9004": "NOTIMP",
	"9005": "REFUSED",
	"9501": "NXRRSET",
	"1460": "TIMEOUT",
}

func mapSysmonDNS(e *event.Event) {
	e.Set("network.protocol", "dns")
	e.Set("dns.type", "query")
	e.Set("dns.question.name", val(e, ed+"QueryName"))
	if s := val(e, ed+"QueryStatus"); s != "" {
		if rc, ok := dnsQueryStatus[s]; ok {
			e.Set("dns.response_code", rc)
		}
	}
	// QueryResults: "type:  5 cdn.example.vn;::ffff:203.0.113.7;10.0.0.9;"
	var ips []string
	for r := range strings.SplitSeq(val(e, ed+"QueryResults"), ";") {
		r = strings.TrimSpace(r)
		if ip, ok := cleanIP(r); ok {
			ips = append(ips, ip)
		}
	}
	setList(e, "dns.resolved_ip", ips...)
}
