package normalize

import (
	"errors"
	"strings"

	"khien.vn/khien/internal/event"
)

// SSHD normalises OpenSSH server messages (process.name sshd):
// accepted and failed logins, invalid users, disconnections and the
// pam_unix lines sshd writes.
type SSHD struct{}

var _ Parser = SSHD{}

// Name implements Parser.
func (SSHD) Name() string { return "sshd" }

// Dataset implements Parser.
func (SSHD) Dataset() string { return "system.auth" }

// Match accepts events whose process.name is sshd (or sshd-session, the
// per-connection process of OpenSSH 9.8+).
func (SSHD) Match(e *event.Event) bool {
	p := e.Fields[event.FieldProcessName]
	return p == "sshd" || p == "sshd-session"
}

// Parse implements Parser. Messages it does not know (server start,
// key exchange errors…) keep their fields without a parse error.
func (SSHD) Parse(e *event.Event) error {
	reserve(e, 14)
	s := strings.TrimSpace(text(e))
	if rest, ok := strings.CutPrefix(s, "error: "); ok {
		s = rest
	}
	switch {
	case strings.HasPrefix(s, "Accepted "), strings.HasPrefix(s, "Failed "):
		return parseSSHLogin(e, s)
	case strings.HasPrefix(s, "Invalid user "):
		// Invalid user admin from 203.0.113.9 port 41234
		rest := s[len("Invalid user "):]
		i := strings.LastIndex(rest, " from ")
		if i < 0 {
			return errors.New("invalid user: no 'from'")
		}
		e.Set(event.FieldUserName, rest[:i])
		var errs errList
		setFromPort(e, &errs, rest[i+len(" from "):])
		sshAuth(e, "invalid-user", "failure", "start")
		e.Set("system.auth.ssh.event", "Invalid")
		return errs.err()
	case strings.HasPrefix(s, "Disconnected from "), strings.HasPrefix(s, "Connection closed by "),
		strings.HasPrefix(s, "Received disconnect from "):
		return parseSSHDisconnect(e, s)
	case strings.HasPrefix(s, "maximum authentication attempts exceeded for "):
		// maximum authentication attempts exceeded for root from 1.2.3.4 port 22 ssh2 [preauth]
		rest := s[len("maximum authentication attempts exceeded for "):]
		rest = strings.TrimPrefix(rest, "invalid user ")
		i := strings.LastIndex(rest, " from ")
		if i < 0 {
			return errors.New("maximum attempts: no 'from'")
		}
		e.Set(event.FieldUserName, rest[:i])
		var errs errList
		setFromPort(e, &errs, rest[i+len(" from "):])
		sshAuth(e, "maximum-attempts-exceeded", "failure", "start")
		return errs.err()
	case strings.HasPrefix(s, "pam_unix("):
		return parsePAM(e, s)
	}
	return nil
}

// sshAuth sets the categorisation of an authentication event.
func sshAuth(e *event.Event, action, outcome, typ string) {
	e.Set(event.FieldEventAction, action)
	setList(e, event.FieldEventCategory, "authentication")
	setList(e, FieldEventType, typ)
	e.Set(event.FieldEventOutcome, outcome)
}

// Accepted publickey for alice from 203.0.113.5 port 52144 ssh2: ED25519 SHA256:…
// Failed password for invalid user admin from 203.0.113.9 port 41234 ssh2
func parseSSHLogin(e *event.Event, s string) error {
	verdict, rest := cutWord(s)
	method, rest := cutWord(rest)
	rest, ok := strings.CutPrefix(rest, "for ")
	if !ok || method == "" {
		return errors.New("login: no method or 'for'")
	}
	invalid := false
	if r, ok := strings.CutPrefix(rest, "invalid user "); ok {
		rest, invalid = r, true
	}
	i := strings.LastIndex(rest, " from ")
	if i < 0 {
		return errors.New("login: no 'from'")
	}
	e.Set(event.FieldUserName, rest[:i])
	var errs errList
	tail := setFromPort(e, &errs, rest[i+len(" from "):])
	// tail: "ssh2" or "ssh2: RSA SHA256:…"
	if _, sig, ok := strings.Cut(tail, ": "); ok {
		e.Set("system.auth.ssh.signature", sig)
	}
	e.Set("system.auth.ssh.method", method)
	e.Set("system.auth.ssh.event", verdict)
	if verdict == "Accepted" {
		sshAuth(e, "ssh-login", "success", "start")
	} else {
		sshAuth(e, "ssh-login", "failure", "start")
	}
	if invalid {
		e.Set("system.auth.ssh.invalid_user", "true")
	}
	return errs.err()
}

// setFromPort reads "203.0.113.5 port 52144 …" into source.ip/port and
// returns what follows the port.
func setFromPort(e *event.Event, errs *errList, s string) string {
	ip, rest := cutWord(s)
	setIP(e, errs, "source.ip", ip)
	if r, ok := strings.CutPrefix(rest, "port "); ok {
		p, tail := cutWord(r)
		p, _, _ = strings.Cut(p, ":") // "41234:11:" in Received disconnect
		setPort(e, errs, "source.port", p)
		return tail
	}
	return rest
}

// Disconnected from user alice 203.0.113.5 port 52144
// Disconnected from authenticating user root 203.0.113.9 port 41234 [preauth]
// Disconnected from invalid user admin 203.0.113.9 port 41234 [preauth]
// Connection closed by 203.0.113.9 port 41234 [preauth]
// Received disconnect from 203.0.113.9 port 41234:11: Bye Bye [preauth]
func parseSSHDisconnect(e *event.Event, s string) error {
	var rest string
	switch {
	case strings.HasPrefix(s, "Disconnected from "):
		rest = s[len("Disconnected from "):]
	case strings.HasPrefix(s, "Connection closed by "):
		rest = s[len("Connection closed by "):]
	default:
		rest = s[len("Received disconnect from "):]
	}
	preauth := strings.HasSuffix(s, "[preauth]")
	for _, p := range []string{"user ", "authenticating user ", "invalid user "} {
		if r, ok := strings.CutPrefix(rest, p); ok {
			// The user name may contain spaces; the address is the
			// word before " port ".
			j := strings.LastIndex(r, " port ")
			if j < 0 {
				return errors.New("disconnect: no 'port'")
			}
			k := strings.LastIndexByte(r[:j], ' ')
			if k < 0 {
				return errors.New("disconnect: no address")
			}
			e.Set(event.FieldUserName, r[:k])
			rest = r[k+1:]
			break
		}
	}
	var errs errList
	setFromPort(e, &errs, rest)
	e.Set(event.FieldEventAction, "ssh-disconnect")
	if preauth {
		setList(e, event.FieldEventCategory, "authentication")
		setList(e, FieldEventType, "end")
	} else {
		setList(e, event.FieldEventCategory, "session")
		setList(e, FieldEventType, "end")
	}
	return errs.err()
}

// parsePAM reads the pam_unix lines of sshd, sudo, su and login:
//
//	pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9  user=root
//	pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)
//	pam_unix(sudo:session): session closed for user root
func parsePAM(e *event.Event, s string) error {
	end := strings.Index(s, "): ")
	if end < 0 {
		return errors.New("pam: no '): '")
	}
	e.Set("system.auth.pam.module", "pam_unix")
	svc, typ, _ := strings.Cut(s[len("pam_unix("):end], ":")
	e.Set("system.auth.pam.service", svc)
	e.Set("system.auth.pam.type", typ)
	msg := s[end+3:]
	var errs errList
	switch {
	case strings.HasPrefix(msg, "authentication failure;"):
		_ = scanKV(msg[len("authentication failure;"):], func(k, v string) {
			switch k {
			case "user":
				e.Set(event.FieldUserName, v)
			case "rhost":
				if ip, ok := cleanIP(v); ok {
					e.Set("source.ip", ip)
				} else {
					e.Set("source.domain", v)
				}
			case "ruser":
				e.Set("system.auth.pam.ruser", v)
			case "tty":
				e.Set("system.auth.pam.tty", v)
			}
		})
		sshAuth(e, "pam-authentication-failure", "failure", "start")
	case strings.HasPrefix(msg, "session opened for user "), strings.HasPrefix(msg, "session closed for user "):
		opened := msg[8] == 'o'
		rest := msg[len("session opened for user "):]
		user, by, _ := strings.Cut(rest, " by ")
		user, _, _ = strings.Cut(user, "(")
		e.Set(event.FieldUserName, user)
		if by != "" {
			by, _, _ = strings.Cut(by, "(")
			e.Set("system.auth.pam.by", by)
		}
		setList(e, event.FieldEventCategory, "session")
		if opened {
			e.Set(event.FieldEventAction, "session-opened")
			setList(e, FieldEventType, "start")
		} else {
			e.Set(event.FieldEventAction, "session-closed")
			setList(e, FieldEventType, "end")
		}
		e.Set(event.FieldEventOutcome, "success")
	}
	return errs.err()
}

// Sudo normalises sudo's log lines (process.name sudo):
//
//	alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx
//	bob : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/bash
type Sudo struct{}

var _ Parser = Sudo{}

// Name implements Parser.
func (Sudo) Name() string { return "sudo" }

// Dataset implements Parser.
func (Sudo) Dataset() string { return "system.auth" }

// Match accepts events whose process.name is sudo.
func (Sudo) Match(e *event.Event) bool { return e.Fields[event.FieldProcessName] == "sudo" }

// Parse implements Parser.
func (Sudo) Parse(e *event.Event) error {
	reserve(e, 14)
	s := strings.TrimSpace(text(e))
	if strings.HasPrefix(s, "pam_unix(") {
		return parsePAM(e, s)
	}
	user, rest, ok := strings.Cut(s, " : ")
	if !ok || strings.IndexByte(user, ' ') >= 0 {
		return nil // not a command line (e.g. "unable to resolve host")
	}
	e.Set(event.FieldUserName, user)
	// COMMAND comes last and may itself contain " ; ".
	if i := strings.Index(rest, "COMMAND="); i >= 0 && (i == 0 || strings.HasSuffix(rest[:i], "; ")) {
		cmd := rest[i+len("COMMAND="):]
		e.Set("system.auth.sudo.command", cmd)
		e.Set(event.FieldProcessCmd, cmd)
		rest = strings.TrimSuffix(rest[:i], "; ")
	}
	var failure string
	for part := range strings.SplitSeq(rest, " ; ") {
		part = strings.TrimSpace(part)
		k, v, ok := strings.Cut(part, "=")
		if !ok || !isUpperKey(k) {
			if failure == "" {
				failure = part
			}
			continue
		}
		switch k {
		case "TTY":
			e.Set("system.auth.sudo.tty", v)
		case "PWD":
			e.Set("system.auth.sudo.pwd", v)
			e.Set("process.working_directory", v)
		case "USER":
			e.Set("system.auth.sudo.user", v)
			e.Set("user.effective.name", v)
		case "GROUP":
			e.Set("user.effective.group.name", v)
		}
	}
	setList(e, event.FieldEventCategory, "process")
	if failure != "" {
		e.Set("system.auth.sudo.error", failure)
		e.Set(event.FieldEventAction, "sudo-denied")
		setList(e, FieldEventType, "info")
		e.Set(event.FieldEventOutcome, "failure")
		return nil
	}
	e.Set(event.FieldEventAction, "sudo-command")
	setList(e, FieldEventType, "start")
	e.Set(event.FieldEventOutcome, "success")
	return nil
}

func isUpperKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; !(c >= 'A' && c <= 'Z' || c == '_') {
			return false
		}
	}
	return true
}
