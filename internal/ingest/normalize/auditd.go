package normalize

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/event"
)

// Auditd normalises Linux audit records (type=… msg=audit(…): key=value …)
// from audit.log lines, audisp-syslog or the kernel's own "audit:" lines.
// Every pair is kept as auditd.log.<key> as it arrives (hex-encoded values
// stay hex there); decoded values go to ECS fields.
type Auditd struct{}

var _ Parser = Auditd{}

// Name implements Parser.
func (Auditd) Name() string { return "auditd" }

// Dataset implements Parser.
func (Auditd) Dataset() string { return "auditd.log" }

// Match accepts lines starting with type= or node= that carry an
// audit(…) stamp.
func (Auditd) Match(e *event.Event) bool {
	s := strings.TrimLeft(text(e), " ")
	if !strings.HasPrefix(s, "type=") && !strings.HasPrefix(s, "node=") {
		return false
	}
	return strings.Contains(s[:min(len(s), 160)], "audit(")
}

const auditNS = "auditd.log."

// auditKeys holds the field names of the usual audit keys, so that
// parsing does not build them for every record.
var auditKeys = func() map[string]string {
	keys := strings.Fields(`arch syscall success exit a0 a1 a2 a3 items ppid pid auid uid gid euid suid fsuid
		egid sgid fsgid tty ses comm exe subj key argc item name inode dev mode ouid ogid rdev nametype cap_fp
		cap_fi cap_fe cap_fver cap_frootid cwd proctitle op acct hostname addr terminal res grantors cmd
		saddr fam laddr lport ARCH SYSCALL AUID UID GID EUID SUID FSUID EGID SGID FSGID OUID OGID SADDR
		old-auid old-ses tclass scontext tcontext permissive msg id family`)
	m := make(map[string]string, len(keys))
	for _, k := range keys {
		m[k] = auditNS + k
	}
	return m
}()

// auditName returns auditd.log.<k>.
func auditName(k string) string {
	if n, ok := auditKeys[k]; ok {
		return n
	}
	return auditNS + k
}

// Parse implements Parser.
func (Auditd) Parse(e *event.Event) error {
	reserve(e, strings.Count(text(e), "=")+20)
	s := strings.TrimLeft(text(e), " ")
	if strings.Contains(s, "#035") { // rsyslog's escape of the 0x1d separator
		s = strings.ReplaceAll(s, "#035", "\x1d")
	}
	if rest, ok := strings.CutPrefix(s, "node="); ok {
		node, r := cutWord(rest)
		e.Set(auditNS+"node", node)
		s = r
	}
	rest, ok := strings.CutPrefix(s, "type=")
	if !ok {
		return errors.New("no type=")
	}
	typ, rest := cutWord(rest)
	e.Set(auditNS+"record_type", typ)
	e.Set(event.FieldEventAction, lower(typ))
	rest = strings.TrimPrefix(rest, "msg=")
	rest, ok = strings.CutPrefix(rest, "audit(")
	if !ok {
		return errors.New("no audit(…) stamp")
	}
	stamp, rest, ok := strings.Cut(rest, ")")
	if !ok {
		return errors.New("unterminated audit(…) stamp")
	}
	var errs errList
	if err := setAuditStamp(e, stamp); err != nil {
		errs.addf("%v", err)
	}
	rest = strings.TrimPrefix(strings.TrimPrefix(rest, ":"), " ")

	a := auditRecord{execve: typ == "EXECVE"}
	err := scanAudit(rest, func(k, v string, quoted bool) {
		if k == "msg" && strings.ContainsRune(v, '=') {
			// USER_* records nest their own pairs in msg='…'.
			_ = scanAudit(v, func(k, v string, quoted bool) {
				e.Set(auditName(k), v)
				a.set(k, v, quoted)
			})
			return
		}
		e.Set(auditName(k), v)
		a.set(k, v, quoted)
	})
	if err != nil {
		errs.addf("%v", err)
	}
	a.apply(e, typ)
	return errs.err()
}

// setAuditStamp reads "1736650800.123:456" into Event.Time and
// auditd.log.sequence.
func setAuditStamp(e *event.Event, stamp string) error {
	ts, seq, ok := strings.Cut(stamp, ":")
	if !ok || !isDigits(seq) {
		return fmt.Errorf("audit stamp %q: want seconds.millis:serial", stamp)
	}
	e.Set(auditNS+"sequence", seq)
	sec, frac, _ := strings.Cut(ts, ".")
	if !isDigits(sec) || len(sec) > 12 || (frac != "" && (!isDigits(frac) || len(frac) > 9)) {
		return fmt.Errorf("audit stamp %q: bad time", stamp)
	}
	n, _ := strconv.ParseInt(sec, 10, 64)
	var ns int64
	if frac != "" {
		f, _ := strconv.ParseInt(frac, 10, 64)
		for i := len(frac); i < 9; i++ {
			f *= 10
		}
		ns = f
	}
	e.Time = time.Unix(n, ns).UTC()
	return nil
}

// scanAudit calls fn for each key=value pair of an audit record. Values
// are bare, "double-quoted", 'single-quoted' or {braced}; the 0x1d byte
// that separates the interpreted (ENRICHED) fields counts as a space.
func scanAudit(s string, fn func(k, v string, quoted bool)) error {
	i := 0
	for i < len(s) {
		for i < len(s) && (s[i] == ' ' || s[i] == 0x1d) {
			i++
		}
		start := i
		for i < len(s) && s[i] != '=' && s[i] != ' ' && s[i] != 0x1d {
			i++
		}
		if i >= len(s) || s[i] != '=' {
			continue
		}
		key := s[start:i]
		i++
		if i < len(s) && (s[i] == '"' || s[i] == '\'' || s[i] == '{') {
			closer := s[i]
			if closer == '{' {
				closer = '}'
			}
			j := strings.IndexByte(s[i+1:], closer)
			if j < 0 {
				return fmt.Errorf("value of %q at byte %d: %w", key, i, errUnterminatedQuote)
			}
			v := s[i+1 : i+1+j]
			if closer == '}' {
				v = strings.TrimSpace(v)
			}
			if key != "" {
				fn(key, v, true)
			}
			i += j + 2
			continue
		}
		vs := i
		for i < len(s) && s[i] != ' ' && s[i] != 0x1d {
			i++
		}
		if key != "" {
			fn(key, s[vs:i], false)
		}
	}
	return nil
}

// auditDecode returns an audit value as text: hex-encoded values (audit
// encodes those with spaces, quotes or control characters) are decoded
// and their NULs (proctitle's argument separators) become spaces.
func auditDecode(v string, quoted bool) string {
	if quoted || len(v) < 2 || len(v)%2 != 0 || !isHexDigits(v) {
		return v
	}
	b, err := hex.DecodeString(v)
	if err != nil {
		return v
	}
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	for i, c := range b {
		if c == 0 {
			b[i] = ' '
		}
	}
	return string(b)
}

// auditRecord holds the values the ECS mapping reads.
type auditRecord struct {
	ids      [][2]string // ECS name, value
	names    [][2]string
	pid      string
	ppid     string
	comm     string
	exe      string
	cwd      string
	title    string
	cmd      string
	acct     string
	addr     string
	hostname string
	name     string
	success  string
	res      string
	key      string
	arch     string
	syscall  string
	argc     string
	args     map[int]string
	argParts map[int][]string
	quoted   map[int]bool // argument parts that came quoted
	execve   bool
	hasARCH  bool
	hasSYS   bool
}

var auditIDs = map[string]string{
	"uid":   "user.id",
	"auid":  "user.audit.id",
	"euid":  "user.effective.id",
	"suid":  "user.saved.id",
	"fsuid": "user.filesystem.id",
	"gid":   "user.group.id",
	"egid":  "user.effective.group.id",
	"sgid":  "user.saved.group.id",
	"fsgid": "user.filesystem.group.id",
	"ouid":  "file.uid",
	"ogid":  "file.gid",
}

// The interpreted (ENRICHED) names of the same ids.
var auditNames = map[string]string{
	"UID":   "user.name",
	"AUID":  "user.audit.name",
	"EUID":  "user.effective.name",
	"SUID":  "user.saved.name",
	"FSUID": "user.filesystem.name",
	"GID":   "user.group.name",
	"EGID":  "user.effective.group.name",
	"SGID":  "user.saved.group.name",
	"FSGID": "user.filesystem.group.name",
	"OUID":  "file.owner",
	"OGID":  "file.group",
}

func (a *auditRecord) set(k, v string, quoted bool) {
	if f, ok := auditIDs[k]; ok {
		if v != "4294967295" && v != "-1" && v != "unset" {
			a.ids = append(a.ids, [2]string{f, v})
		}
		return
	}
	if f, ok := auditNames[k]; ok {
		if v != "unset" && v != "?" {
			a.names = append(a.names, [2]string{f, v})
		}
		return
	}
	switch k {
	case "pid":
		a.pid = v
	case "ppid":
		a.ppid = v
	case "comm":
		a.comm = auditDecode(v, quoted)
	case "exe":
		a.exe = auditDecode(v, quoted)
	case "cwd":
		a.cwd = auditDecode(v, quoted)
	case "proctitle":
		a.title = auditDecode(v, quoted)
	case "cmd":
		a.cmd = auditDecode(v, quoted)
	case "acct":
		a.acct = auditDecode(v, quoted)
	case "addr":
		a.addr = v
	case "hostname":
		a.hostname = v
	case "name":
		a.name = auditDecode(v, quoted)
	case "success":
		a.success = v
	case "res":
		a.res = v
	case "key":
		a.key = auditDecode(v, quoted)
	case "arch":
		a.arch = v
	case "syscall":
		a.syscall = v
	case "ARCH":
		a.hasARCH = true
	case "SYSCALL":
		a.hasSYS = true
	case "argc":
		a.argc = v
	default:
		// EXECVE arguments: a0="ls" a1=2D6C61 … or, when long,
		// a1_len=9000 a1[0]=… a1[1]=…
		if !a.execve || len(k) < 2 || k[0] != 'a' {
			return
		}
		idx, part, isPart := strings.Cut(k[1:], "[")
		if !isDigits(idx) || len(idx) > 5 {
			return
		}
		n, _ := strconv.Atoi(idx)
		if isPart {
			p, err := strconv.Atoi(strings.TrimSuffix(part, "]"))
			if err != nil || p < 0 || p >= 64 { // the kernel splits an argument in at most 18 parts
				return
			}
			if a.argParts == nil {
				a.argParts = make(map[int][]string)
			}
			parts := a.argParts[n]
			for len(parts) <= p {
				parts = append(parts, "")
			}
			parts[p] = v // decoded once joined
			a.argParts[n] = parts
			if quoted {
				if a.quoted == nil {
					a.quoted = make(map[int]bool)
				}
				a.quoted[n] = true
			}
			return
		}
		if a.args == nil {
			a.args = make(map[int]string)
		}
		a.args[n] = auditDecode(v, quoted)
	}
}

// x86-64 system calls worth naming when the record is not ENRICHED.
var syscallsAMD64 = map[string]string{
	"0": "read", "1": "write", "2": "open", "3": "close", "4": "stat", "9": "mmap", "10": "mprotect",
	"21": "access", "32": "dup", "41": "socket", "42": "connect", "43": "accept", "44": "sendto",
	"49": "bind", "50": "listen", "56": "clone", "57": "fork", "58": "vfork", "59": "execve",
	"62": "kill", "76": "truncate", "82": "rename", "83": "mkdir", "84": "rmdir", "85": "creat",
	"86": "link", "87": "unlink", "88": "symlink", "90": "chmod", "91": "fchmod", "92": "chown",
	"93": "fchown", "94": "lchown", "101": "ptrace", "105": "setuid", "106": "setgid",
	"113": "setreuid", "114": "setregid", "117": "setresuid", "119": "setresgid", "161": "chroot",
	"165": "mount", "166": "umount2", "175": "init_module", "176": "delete_module", "188": "setxattr",
	"257": "openat", "263": "unlinkat", "264": "renameat", "268": "fchmodat", "260": "fchownat",
	"288": "accept4", "313": "finit_module", "316": "renameat2", "322": "execveat",
}

func (a *auditRecord) apply(e *event.Event, typ string) {
	for _, kv := range a.ids {
		e.Set(kv[0], kv[1])
	}
	for _, kv := range a.names {
		e.Set(kv[0], kv[1])
	}
	if isDigits(a.pid) || (a.comm != "" && a.comm != "(null)") {
		claimProcess(e)
	}
	if isDigits(a.pid) {
		e.Set(event.FieldProcessPID, a.pid)
	}
	if isDigits(a.ppid) {
		e.Set("process.parent.pid", a.ppid)
	}
	if a.comm != "" && a.comm != "(null)" {
		e.Set(event.FieldProcessName, a.comm)
	}
	if a.exe != "" && a.exe != "(null)" {
		e.Set("process.executable", a.exe)
	}
	e.Set("process.working_directory", a.cwd)
	e.Set("process.title", a.title)
	if a.key != "" && a.key != "(null)" {
		e.Set("rule.name", a.key)
	}
	switch a.success {
	case "yes":
		e.Set(event.FieldEventOutcome, "success")
	case "no":
		e.Set(event.FieldEventOutcome, "failure")
	}
	switch a.res {
	case "success", "1":
		e.Set(event.FieldEventOutcome, "success")
	case "failed", "0":
		e.Set(event.FieldEventOutcome, "failure")
	}
	if a.arch == "c000003e" {
		if !a.hasARCH {
			e.Set(auditNS+"ARCH", "x86_64")
		}
		if name, ok := syscallsAMD64[a.syscall]; ok && !a.hasSYS {
			e.Set(auditNS+"SYSCALL", name)
		}
	}
	if a.acct != "" && a.acct != "?" {
		e.Set(event.FieldUserName, a.acct)
	}
	if a.addr != "" && a.addr != "?" {
		if ip, ok := cleanIP(a.addr); ok {
			e.Set("source.ip", ip)
		}
	}
	if a.hostname != "" && a.hostname != "?" && !isIP(a.hostname) {
		e.Set("source.domain", a.hostname)
	}

	switch typ {
	case "SYSCALL":
		setList(e, event.FieldEventCategory, "process")
		if s := e.Fields[auditNS+"SYSCALL"]; s == "execve" || s == "execveat" {
			setList(e, FieldEventType, "start")
		} else {
			setList(e, FieldEventType, "info")
		}
	case "EXECVE":
		a.applyExecve(e)
		setList(e, event.FieldEventCategory, "process")
		setList(e, FieldEventType, "start")
	case "PATH":
		setFile(e, "file", a.name)
		setList(e, event.FieldEventCategory, "file")
		setList(e, FieldEventType, "info")
	case "USER_CMD":
		e.Set(event.FieldProcessCmd, a.cmd)
		setList(e, event.FieldEventCategory, "process")
		setList(e, FieldEventType, "start")
	case "USER_AUTH", "USER_ACCT", "USER_LOGIN", "USER_ERR":
		setList(e, event.FieldEventCategory, "authentication")
		setList(e, FieldEventType, "start")
		if typ == "USER_AUTH" || typ == "USER_ACCT" {
			setList(e, FieldEventType, "info")
		}
	case "USER_LOGOUT":
		setList(e, event.FieldEventCategory, "authentication")
		setList(e, FieldEventType, "end")
	case "USER_START", "CRED_ACQ", "CRED_REFR":
		setList(e, event.FieldEventCategory, "session")
		setList(e, FieldEventType, "start")
	case "USER_END", "CRED_DISP":
		setList(e, event.FieldEventCategory, "session")
		setList(e, FieldEventType, "end")
	case "ADD_USER", "DEL_USER", "USER_MGMT", "USER_CHAUTHTOK":
		setList(e, event.FieldEventCategory, "iam")
		switch typ {
		case "ADD_USER":
			setList(e, FieldEventType, "user", "creation")
		case "DEL_USER":
			setList(e, FieldEventType, "user", "deletion")
		default:
			setList(e, FieldEventType, "user", "change")
		}
	case "ADD_GROUP", "DEL_GROUP", "GRP_MGMT":
		setList(e, event.FieldEventCategory, "iam")
		setList(e, FieldEventType, "group", "change")
	}
}

// applyExecve joins EXECVE's arguments into process.args and
// process.command_line.
func (a *auditRecord) applyExecve(e *event.Event) {
	n := len(a.args) + len(a.argParts)
	if isDigits(a.argc) && len(a.argc) < 6 {
		e.Set("process.args_count", a.argc)
		c, _ := strconv.Atoi(a.argc)
		n = max(n, min(c, 1<<12))
	}
	args := make([]string, 0, n)
	for i := 0; i < n; i++ {
		if v, ok := a.args[i]; ok {
			args = append(args, v)
			continue
		}
		if parts, ok := a.argParts[i]; ok {
			args = append(args, auditDecode(strings.Join(parts, ""), a.quoted[i]))
			continue
		}
		break // a missing argument: keep what came before it
	}
	if len(args) == 0 {
		return
	}
	setList(e, "process.args", args...)
	e.Set(event.FieldProcessCmd, strings.Join(args, " "))
}
