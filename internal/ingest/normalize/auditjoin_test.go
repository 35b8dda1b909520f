package normalize_test

import (
	"fmt"
	"testing"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest/normalize"
)

func auditBatch(host string, lines ...string) []event.Event {
	out := make([]event.Event, len(lines))
	for i, l := range lines {
		out[i] = syslogEvent(host, "audispd", l)
	}
	normalize.Default().NormalizeBatch(out)
	return out
}

// The EXECVE and PATH records of an audit event get the program and user
// of its SYSCALL record — within a batch and across batches — and only
// those of the same host and serial.
func TestAuditJoin(t *testing.T) {
	const (
		syscall = `type=SYSCALL msg=audit(1736651742.123:8812): arch=c000003e syscall=59 success=yes exit=0 ppid=2211 pid=2290 ` +
			`auid=1001 uid=0 gid=0 euid=0 tty=pts0 ses=7 comm="whoami" exe="/usr/bin/whoami" key="exec"`
		execve = `type=EXECVE msg=audit(1736651742.123:8812): argc=1 a0="whoami"`
		path   = `type=PATH msg=audit(1736651742.123:8812): item=0 name="/usr/bin/whoami" inode=1 nametype=NORMAL`
		other  = `type=EXECVE msg=audit(1736651742.123:8813): argc=2 a0="id" a1="-u"`
	)
	j := normalize.NewAuditJoin()
	b1 := auditBatch("srv-db-01", syscall, execve)
	j.Apply(b1)
	b2 := auditBatch("srv-db-01", path, other)
	j.Apply(b2)
	b3 := auditBatch("srv-web-02", execve) // same serial, another host
	j.Apply(b3)

	ex := b1[1].Fields
	for k, want := range map[string]string{"process.executable": "/usr/bin/whoami", "process.name": "whoami", "process.pid": "2290",
		"process.parent.pid": "2211", "process.command_line": "whoami", "user.id": "0", "user.audit.id": "1001",
		"rule.name": "exec", "auditd.log.joined": "SYSCALL:8812", "log.syslog.appname": "audispd"} {
		if ex[k] != want {
			t.Errorf("EXECVE %s = %q, want %q", k, ex[k], want)
		}
	}
	if p := b2[0].Fields; p["process.executable"] != "/usr/bin/whoami" || p["file.path"] != "/usr/bin/whoami" {
		t.Errorf("PATH record from the next batch: %v", p)
	}
	for name, f := range map[string]map[string]string{"other serial": b2[1].Fields, "other host": b3[0].Fields} {
		if f["process.executable"] != "" || f["auditd.log.joined"] != "" || f["process.name"] != "audispd" {
			t.Errorf("%s joined: %v", name, f)
		}
	}
	// The memory is bounded: after MaxAuditEvents newer SYSCALLs the first is forgotten.
	for i := range normalize.MaxAuditEvents {
		j.Apply(auditBatch("srv-db-01", fmt.Sprintf(`type=SYSCALL msg=audit(1736651750.000:%d): syscall=59 pid=1 comm="x" exe="/x"`, 20000+i)))
	}
	late := auditBatch("srv-db-01", execve)
	j.Apply(late)
	if late[0].Fields["process.executable"] != "" {
		t.Error("a forgotten SYSCALL still joined")
	}
}
