package normalize

import (
	"strings"

	"khien.vn/khien/internal/event"
)

// WindowsSecurity normalises the Security channel (provider
// Microsoft-Windows-Security-Auditing, and 1102 from Microsoft-Windows-Eventlog):
// logons, process creation, account and group management, Kerberos and NTLM.
type WindowsSecurity struct{}

var _ Parser = WindowsSecurity{}

// Name implements Parser.
func (WindowsSecurity) Name() string { return "windows-security" }

// Dataset implements Parser.
func (WindowsSecurity) Dataset() string { return "windows.security" }

// Match accepts events of the Security channel, of the
// Microsoft-Windows-Security-Auditing provider, and 1102 (log cleared) of
// Microsoft-Windows-Eventlog (forwarded events keep their provider but
// arrive in the ForwardedEvents channel).
func (WindowsSecurity) Match(e *event.Event) bool {
	if isChannel(e, "Security") {
		return true
	}
	switch winProvider(e) {
	case "Microsoft-Windows-Security-Auditing":
		return true
	case "Microsoft-Windows-Eventlog":
		return winCode(e) == "1102"
	}
	return false
}

// secEvent describes how one Security event ID is categorised and mapped.
type secEvent struct {
	action   string
	category []string
	typ      []string
	outcome  string // "" = decided by the mapping
	mapFn    func(e *event.Event, errs *errList)
}

var securityEvents = map[string]secEvent{
	"4624": {"logged-in", []string{"authentication"}, []string{"start"}, "success", mapLogon},
	"4625": {"logon-failed", []string{"authentication"}, []string{"start"}, "failure", mapLogonFailed},
	"4634": {"logged-out", []string{"authentication"}, []string{"end"}, "success", mapLogoff},
	"4647": {"logged-out", []string{"authentication"}, []string{"end"}, "success", mapLogoff},
	"4648": {"logged-in-explicit", []string{"authentication"}, []string{"start"}, "success", mapExplicitLogon},
	"4672": {"logged-in-special", []string{"iam"}, []string{"admin"}, "success", mapSpecialLogon},
	"4688": {"created-process", []string{"process"}, []string{"start"}, "success", mapProcessCreated},
	"4689": {"exited-process", []string{"process"}, []string{"end"}, "success", mapProcessExited},
	"4697": {"service-installed", []string{"iam", "configuration"}, []string{"admin", "change"}, "success", mapServiceInstalled},
	"4698": {"scheduled-task-created", []string{"iam", "configuration"}, []string{"creation", "admin"}, "success", mapSubjectOnly},
	"4720": {"added-user-account", []string{"iam"}, []string{"user", "creation"}, "success", mapAccount},
	"4722": {"enabled-user-account", []string{"iam"}, []string{"user", "change"}, "success", mapAccount},
	"4724": {"reset-password", []string{"iam"}, []string{"user", "change"}, "success", mapAccount},
	"4725": {"disabled-user-account", []string{"iam"}, []string{"user", "change"}, "success", mapAccount},
	"4726": {"deleted-user-account", []string{"iam"}, []string{"user", "deletion"}, "success", mapAccount},
	"4728": {"added-member-to-group", []string{"iam"}, []string{"group", "change"}, "success", mapGroupMember},
	"4732": {"added-member-to-group", []string{"iam"}, []string{"group", "change"}, "success", mapGroupMember},
	"4738": {"modified-user-account", []string{"iam"}, []string{"user", "change"}, "success", mapAccount},
	"4740": {"locked-out-user-account", []string{"iam"}, []string{"user", "change"}, "success", mapLockout},
	"4756": {"added-member-to-group", []string{"iam"}, []string{"group", "change"}, "success", mapGroupMember},
	"4768": {"kerberos-authentication-ticket-requested", []string{"authentication"}, []string{"start"}, "", mapKerberosTGT},
	"4769": {"kerberos-service-ticket-requested", []string{"authentication"}, []string{"start"}, "", mapKerberosService},
	"4771": {"kerberos-preauth-failed", []string{"authentication"}, []string{"start"}, "failure", mapKerberosPreauth},
	"4776": {"credential-validated", []string{"authentication"}, []string{"start"}, "", mapNTLM},
	"1102": {"audit-log-cleared", []string{"iam"}, []string{"admin", "change"}, "success", mapLogCleared},
}

// Parse implements Parser. An event ID not listed in docs/normalize.md
// keeps its fields and gets only event.dataset/module.
func (WindowsSecurity) Parse(e *event.Event) error {
	code := winCode(e)
	if code == "" {
		return errNoEventCode
	}
	e.Set(event.FieldEventCode, code)
	se, ok := securityEvents[code]
	if !ok {
		return nil
	}
	e.Set(event.FieldEventAction, se.action)
	setList(e, event.FieldEventCategory, se.category...)
	setList(e, FieldEventType, se.typ...)
	if se.outcome != "" {
		e.Set(event.FieldEventOutcome, se.outcome)
	}
	var errs errList
	se.mapFn(e, &errs)
	return errs.err()
}

// Logon types as winlogbeat names them.
var logonTypes = map[string]string{
	"0":  "System",
	"2":  "Interactive",
	"3":  "Network",
	"4":  "Batch",
	"5":  "Service",
	"7":  "Unlock",
	"8":  "NetworkCleartext",
	"9":  "NewCredentials",
	"10": "RemoteInteractive",
	"11": "CachedInteractive",
	"12": "CachedRemoteInteractive",
	"13": "CachedUnlock",
}

func setLogonType(e *event.Event) {
	t := val(e, ed+"LogonType")
	if name, ok := logonTypes[t]; ok {
		e.Set("winlog.logon.type", name)
	} else {
		e.Set("winlog.logon.type", t)
	}
}

// setSource sets source.ip/port/domain from IpAddress, IpPort and a
// workstation field.
func setSource(e *event.Event, errs *errList, workstation string) {
	setIP(e, errs, "source.ip", val(e, ed+"IpAddress"))
	setPort(e, errs, "source.port", val(e, ed+"IpPort"))
	if workstation != "" {
		e.Set("source.domain", val(e, workstation))
	}
}

func setSubject(e *event.Event) {
	setUser(e, "user", ed+"SubjectUserName", ed+"SubjectDomainName", ed+"SubjectUserSid")
}

func mapLogon(e *event.Event, errs *errList) {
	setUser(e, "user", ed+"TargetUserName", ed+"TargetDomainName", ed+"TargetUserSid")
	setLogonType(e)
	e.Set("winlog.logon.id", val(e, ed+"TargetLogonId"))
	setSource(e, errs, ed+"WorkstationName")
	setExecutable(e, "process", val(e, ed+"ProcessName"))
	setHexPID(e, errs, "process.pid", val(e, ed+"ProcessId"))
}

// Logon failure reasons (%%2304–%%2313) and NTSTATUS codes of 4625 and
// 4776, as Windows documents them.
var logonFailureReasons = map[string]string{
	"%%2304": "An Error occurred during Logon.",
	"%%2305": "The specified user account has expired.",
	"%%2306": "The NetLogon component is not active.",
	"%%2307": "Account locked out.",
	"%%2308": "The user has not been granted the requested logon type at this machine.",
	"%%2309": "The specified account's password has expired.",
	"%%2310": "Account currently disabled.",
	"%%2311": "Account logon time restriction violation.",
	"%%2312": "User not allowed to logon at this computer.",
	"%%2313": "Unknown user name or bad password.",
}

var ntStatus = map[string]string{
	"0xc000005e": "There are currently no logon servers available to service the logon request.",
	"0xc0000064": "User logon with misspelled or bad user account.",
	"0xc000006a": "User logon with misspelled or bad password.",
	"0xc000006d": "The user name or authentication information is incorrect.",
	"0xc000006e": "User logon with account restriction.",
	"0xc000006f": "User logon outside authorized hours.",
	"0xc0000070": "User logon from unauthorized workstation.",
	"0xc0000071": "User logon with expired password.",
	"0xc0000072": "User logon to account disabled by administrator.",
	"0xc0000133": "Clocks between DC and other computer too far out of sync.",
	"0xc000015b": "The user has not been granted the requested logon type at this machine.",
	"0xc000018c": "The logon request failed because the trust relationship between the primary domain and the trusted domain failed.",
	"0xc0000192": "The NetLogon service was not started.",
	"0xc0000193": "User logon with expired account.",
	"0xc0000224": "User is required to change password at next logon.",
	"0xc0000234": "User logon with account locked.",
	"0xc00002ee": "An error occurred during logon.",
	"0xc0000413": "The machine you are logging on to is protected by an authentication firewall.",
}

func statusText(code string) string {
	if s, ok := ntStatus[lower(code)]; ok {
		return s
	}
	return code
}

func mapLogonFailed(e *event.Event, errs *errList) {
	mapLogon(e, errs)
	r := val(e, ed+"FailureReason")
	if s, ok := logonFailureReasons[strings.TrimSpace(r)]; ok {
		r = s
	}
	e.Set("winlog.logon.failure.reason", r)
	if s := val(e, ed+"Status"); s != "" {
		e.Set("winlog.logon.failure.status", statusText(s))
	}
	if s := val(e, ed+"SubStatus"); s != "" && s != "0x0" {
		e.Set("winlog.logon.failure.sub_status", statusText(s))
	}
}

func mapLogoff(e *event.Event, _ *errList) {
	setUser(e, "user", ed+"TargetUserName", ed+"TargetDomainName", ed+"TargetUserSid")
	if e.Fields[ed+"LogonType"] != "" {
		setLogonType(e)
	}
	e.Set("winlog.logon.id", val(e, ed+"TargetLogonId"))
}

func mapExplicitLogon(e *event.Event, errs *errList) {
	setSubject(e)
	e.Set("winlog.logon.id", val(e, ed+"SubjectLogonId"))
	e.Set("user.effective.name", val(e, ed+"TargetUserName"))
	e.Set("user.effective.domain", val(e, ed+"TargetDomainName"))
	if s := val(e, ed+"TargetServerName"); s != "localhost" {
		e.Set("destination.domain", s)
	}
	setSource(e, errs, "")
	setExecutable(e, "process", val(e, ed+"ProcessName"))
	setHexPID(e, errs, "process.pid", val(e, ed+"ProcessId"))
}

func mapSpecialLogon(e *event.Event, _ *errList) {
	setSubject(e)
	e.Set("winlog.logon.id", val(e, ed+"SubjectLogonId"))
}

func mapSubjectOnly(e *event.Event, _ *errList) {
	setSubject(e)
}

func mapProcessCreated(e *event.Event, errs *errList) {
	setSubject(e)
	e.Set("winlog.logon.id", val(e, ed+"SubjectLogonId"))
	setExecutable(e, "process", val(e, ed+"NewProcessName"))
	setHexPID(e, errs, "process.pid", val(e, ed+"NewProcessId"))
	e.Set(event.FieldProcessCmd, val(e, ed+"CommandLine"))
	setHexPID(e, errs, "process.parent.pid", val(e, ed+"ProcessId"))
	setExecutable(e, "process.parent", val(e, ed+"ParentProcessName"))
}

func mapProcessExited(e *event.Event, errs *errList) {
	setSubject(e)
	setExecutable(e, "process", val(e, ed+"ProcessName"))
	setHexPID(e, errs, "process.pid", val(e, ed+"ProcessId"))
	if s := val(e, ed+"Status"); s != "" {
		setHexPID(e, errs, "process.exit_code", s)
	}
}

func mapServiceInstalled(e *event.Event, _ *errList) {
	setSubject(e)
	e.Set("service.name", val(e, ed+"ServiceName"))
}

func mapAccount(e *event.Event, _ *errList) {
	setSubject(e)
	setUser(e, "user.target", ed+"TargetUserName", ed+"TargetDomainName", ed+"TargetSid")
}

func mapLockout(e *event.Event, _ *errList) {
	setSubject(e)
	// TargetDomainName of 4740 is the caller computer, not a domain: it
	// stays in winlog.event_data only.
	e.Set("user.target.name", val(e, ed+"TargetUserName"))
	if s := val(e, ed+"TargetSid"); s != "" {
		e.Set("user.target.id", s)
	}
}

func mapGroupMember(e *event.Event, _ *errList) {
	setSubject(e)
	e.Set("group.name", val(e, ed+"TargetUserName"))
	e.Set("group.domain", val(e, ed+"TargetDomainName"))
	e.Set("group.id", val(e, ed+"TargetSid"))
	e.Set("user.target.name", commonName(val(e, ed+"MemberName")))
	e.Set("user.target.id", val(e, ed+"MemberSid"))
}

// commonName returns the CN of a distinguished name
// ("CN=Nguyen Van A,OU=Users,DC=corp,DC=vn" → "Nguyen Van A"), or the
// value itself when it is not one.
func commonName(dn string) string {
	if len(dn) < 3 || !strings.EqualFold(dn[:3], "CN=") {
		return dn
	}
	rest := dn[3:]
	for i := 0; i < len(rest); i++ {
		switch rest[i] {
		case '\\':
			i++
		case ',':
			return strings.ReplaceAll(rest[:i], `\,`, ",")
		}
	}
	return strings.ReplaceAll(rest, `\,`, ",")
}

// Kerberos result codes (RFC 4120 §7.5.9) seen in 4768, 4769 and 4771.
var kerberosStatus = map[string]string{
	"0x6":  "KDC_ERR_C_PRINCIPAL_UNKNOWN",
	"0x7":  "KDC_ERR_S_PRINCIPAL_UNKNOWN",
	"0xc":  "KDC_ERR_POLICY",
	"0xe":  "KDC_ERR_ETYPE_NOSUPP",
	"0x12": "KDC_ERR_CLIENT_REVOKED",
	"0x17": "KDC_ERR_KEY_EXPIRED",
	"0x18": "KDC_ERR_PREAUTH_FAILED",
	"0x1b": "KDC_ERR_MUST_USE_USER2USER",
	"0x1f": "KRB_AP_ERR_BAD_INTEGRITY",
	"0x20": "KRB_AP_ERR_TKT_EXPIRED",
	"0x25": "KRB_AP_ERR_SKEW",
	"0x29": "KRB_AP_ERR_MODIFIED",
}

// setKerberosStatus sets event.outcome (and event.reason on failure) from
// the Status field.
func setKerberosStatus(e *event.Event) {
	s := lower(val(e, ed+"Status"))
	switch s {
	case "":
	case "0x0", "0":
		e.Set(event.FieldEventOutcome, "success")
	default:
		e.Set(event.FieldEventOutcome, "failure")
		if r, ok := kerberosStatus[s]; ok {
			e.Set("event.reason", r)
		} else {
			e.Set("event.reason", s)
		}
	}
}

func mapKerberosTGT(e *event.Event, errs *errList) {
	setUser(e, "user", ed+"TargetUserName", ed+"TargetDomainName", ed+"TargetSid")
	e.Set("service.name", val(e, ed+"ServiceName"))
	setSource(e, errs, "")
	setKerberosStatus(e)
}

func mapKerberosService(e *event.Event, errs *errList) {
	// TargetUserName is "user@REALM" here.
	name := val(e, ed+"TargetUserName")
	user, realm, _ := strings.Cut(name, "@")
	e.Set("user.name", user)
	if d := val(e, ed+"TargetDomainName"); d != "" {
		e.Set("user.domain", d)
	} else {
		e.Set("user.domain", realm)
	}
	e.Set("service.name", val(e, ed+"ServiceName"))
	setSource(e, errs, "")
	setKerberosStatus(e)
}

func mapKerberosPreauth(e *event.Event, errs *errList) {
	e.Set("user.name", val(e, ed+"TargetUserName"))
	if s := val(e, ed+"TargetSid"); s != "" {
		e.Set("user.id", s)
	}
	e.Set("service.name", val(e, ed+"ServiceName"))
	setSource(e, errs, "")
	setKerberosStatus(e)
	e.Set(event.FieldEventOutcome, "failure")
}

func mapNTLM(e *event.Event, _ *errList) {
	e.Set("user.name", val(e, ed+"TargetUserName"))
	e.Set("source.domain", val(e, ed+"Workstation"))
	switch s := lower(val(e, ed+"Status")); s {
	case "":
	case "0x0", "0":
		e.Set(event.FieldEventOutcome, "success")
	default:
		e.Set(event.FieldEventOutcome, "failure")
		e.Set("event.reason", statusText(s))
	}
}

func mapLogCleared(e *event.Event, _ *errList) {
	setUser(e, "user", ud+"SubjectUserName", ud+"SubjectDomainName", ud+"SubjectUserSid")
	e.Set("winlog.logon.id", val(e, ud+"SubjectLogonId"))
}
