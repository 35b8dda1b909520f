package app

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest/syslog"
)

// SeedDemoEvents puts an hour of made-up syslog traffic from the demo's
// hosts into the spool, as if they had sent it: SSH logins (some failed,
// from outside, and one password-guessing burst), sudo, a firewall's
// decisions and one host that matches no asset, so that the sources pages and the event store have something to
// show. It does nothing when the store already has sources.
func (s *Server) SeedDemoEvents(ctx context.Context) (int, error) {
	in := s.ingest
	if len(in.Tracker.List()) > 0 {
		return 0, nil
	}
	rng := rand.New(rand.NewPCG(85, 2016))
	p := syslog.NewParser()
	now := time.Now().UTC()
	users := []string{"lan.nguyen", "binh.tran", "chau.le", "dung.pham", "root", "admin"}
	var batch []event.Event
	total := 0
	add := func(at time.Time, host, addr, msg string) {
		line := fmt.Sprintf("<38>1 %s %s %s", at.Format("2006-01-02T15:04:05.000000Z"), host, msg)
		e := p.Parse([]byte(line), at, time.UTC)
		e.Source = event.Source{Kind: event.KindSyslog, Name: "demo", Addr: addr}
		batch = append(batch, e)
	}
	for i := range 720 { // one hour, every 5 s
		at := now.Add(-time.Hour + time.Duration(i)*5*time.Second)
		u := users[rng.IntN(len(users))]
		if i == 600 {
			// A password-guessing burst from one address ten minutes ago: the
			// built-in correlation raises a high alert for it.
			for j := range 12 {
				add(at.Add(time.Duration(j)*300*time.Millisecond), "trade-db01", "10.20.0.11:514",
					fmt.Sprintf("sshd 2290 - - Failed password for root from 198.51.100.23 port %d ssh2", 51000+j))
			}
		}
		switch i % 6 {
		case 0:
			add(at, "trade-db01", "10.20.0.11:514", fmt.Sprintf("sshd 2211 - - Accepted publickey for %s from 10.20.0.%d port %d ssh2", u, 2+rng.IntN(50), 40000+rng.IntN(20000)))
		case 1:
			add(at, "trade-db01", "10.20.0.11:514", fmt.Sprintf("sshd 2212 - - Failed password for invalid user %s from 203.0.113.%d port %d ssh2", u, 1+rng.IntN(250), 40000+rng.IntN(20000)))
		case 2:
			add(at, "mail01", "10.10.1.25:514", fmt.Sprintf("sudo 881 - - %s : TTY=pts/0 ; PWD=/home/%s ; USER=root ; COMMAND=/usr/bin/systemctl restart postfix", u, u))
		case 3:
			add(at, "mail01", "10.10.1.25:514", fmt.Sprintf("sshd 883 - - Accepted password for %s from 10.10.1.%d port %d ssh2", u, 2+rng.IntN(200), 40000+rng.IntN(20000)))
		default:
			add(at, "fw-edge01", "10.0.0.1:514", fmt.Sprintf(`- - - date=%s time=%s devname="fw-edge01" devid="FG100F" logid="0000000013" type="traffic" subtype="forward" level="notice" srcip=10.20.0.%d srcport=%d dstip=198.51.100.%d dstport=443 proto=6 action="accept" policyid=12 sentbyte=%d rcvdbyte=%d`,
				at.Format("2006-01-02"), at.Format("15:04:05"), 2+rng.IntN(50), 40000+rng.IntN(20000), 1+rng.IntN(250), rng.IntN(90000), rng.IntN(900000)))
		}
		if len(batch) >= 200 {
			if err := in.Spool.Append(ctx, batch); err != nil {
				return total, err
			}
			total += len(batch)
			batch = nil
		}
	}
	if len(batch) > 0 {
		if err := in.Spool.Append(ctx, batch); err != nil {
			return total, err
		}
		total += len(batch)
	}
	return total, nil
}
