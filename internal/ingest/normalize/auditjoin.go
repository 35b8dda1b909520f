package normalize

import (
	"sync"

	"khien.vn/khien/internal/event"
)

// AuditJoin completes the records of one Linux audit event from its
// SYSCALL record. The kernel writes an event as several records with one
// serial — SYSCALL (the program: exe, comm, pid, ppid, uids, key), then
// EXECVE (the arguments), CWD, PATH … and PROCTITLE — and each arrives as
// its own line, so an EXECVE record alone has the command line but not
// the program, and a PATH record the file but not who touched it. Apply
// copies the SYSCALL record's process and user fields onto the later
// records of the same host, node and serial that lack them, so that rules
// on "process creation" (Image and CommandLine) or "file events" (Image
// and TargetFilename) see one complete event.
//
// It remembers the last MaxAuditEvents SYSCALL records (oldest forgotten
// first), so records split across batches still join; records that arrive
// before their SYSCALL (rare: auditd writes SYSCALL first) stay as they
// are. It is safe for concurrent use.
type AuditJoin struct {
	mu   sync.Mutex
	seen map[auditKey][]string // name, value pairs
	ring []auditKey
	next int
}

// MaxAuditEvents bounds the SYSCALL records an AuditJoin remembers.
const MaxAuditEvents = 4096

type auditKey struct {
	host, node, serial string
	sec                int64
}

// auditJoined are the fields a SYSCALL record lends to the other records
// of its event.
var auditJoined = []string{
	"process.executable", event.FieldProcessName, event.FieldProcessPID, "process.parent.pid",
	"process.title", auditNS + "exe", auditNS + "comm", auditNS + "pid", auditNS + "ppid",
	auditNS + "auid", auditNS + "uid", auditNS + "euid", auditNS + "ses", auditNS + "tty",
	auditNS + "AUID", auditNS + "UID", auditNS + "EUID", auditNS + "SYSCALL", auditNS + "key",
	"rule.name", event.FieldUserName, "user.id", "user.audit.id", "user.effective.id", "user.group.id",
}

// NewAuditJoin returns an empty AuditJoin.
func NewAuditJoin() *AuditJoin {
	return &AuditJoin{seen: make(map[auditKey][]string), ring: make([]auditKey, MaxAuditEvents)}
}

// Apply joins the audit records of batch, in order (a pipeline stage
// after normalisation).
func (j *AuditJoin) Apply(batch []event.Event) {
	for i := range batch {
		e := &batch[i]
		typ := e.Fields[auditNS+"record_type"]
		if typ == "" || e.Fields[event.FieldEventDataset] != "auditd.log" {
			continue
		}
		k := auditKey{host: e.Fields[event.FieldHostName], node: e.Fields[auditNS+"node"], serial: e.Fields[auditNS+"sequence"],
			sec: e.Time.Unix()}
		if k.serial == "" {
			continue
		}
		if typ == "SYSCALL" {
			j.remember(k, e)
			continue
		}
		j.lend(k, e)
	}
}

func (j *AuditJoin) remember(k auditKey, e *event.Event) {
	var kv []string
	for _, name := range auditJoined {
		if v := e.Fields[name]; v != "" {
			kv = append(kv, name, v)
		}
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, ok := j.seen[k]; !ok {
		if old := j.ring[j.next]; old != (auditKey{}) {
			delete(j.seen, old)
		}
		j.ring[j.next] = k
		j.next = (j.next + 1) % len(j.ring)
	}
	j.seen[k] = kv
}

func (j *AuditJoin) lend(k auditKey, e *event.Event) {
	j.mu.Lock()
	kv := j.seen[k]
	j.mu.Unlock()
	if len(kv) == 0 {
		return
	}
	// A record relayed by audispd or rsyslog carries the relay's name and
	// pid from the syslog header: keep those as log.syslog.* and take the
	// audited process's instead (the record itself never names one).
	claimProcess(e)
	for i := 0; i+1 < len(kv); i += 2 {
		name := kv[i]
		if name == event.FieldProcessName || name == event.FieldProcessPID || e.Fields[name] == "" {
			e.Set(name, kv[i+1])
		}
	}
	e.Set(auditNS+"joined", "SYSCALL:"+k.serial)
}
