package app_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore/vlstore"
	"khien.vn/khien/internal/ingest/normalize"
	"khien.vn/khien/internal/ingest/syslog"
)

// syslogMix returns n parsed syslog events of the demo's kinds: sshd,
// sudo and FortiGate traffic, from 200 hosts.
func syslogMix(n int) []event.Event {
	rng := rand.New(rand.NewPCG(1, 2))
	p := syslog.NewParser()
	now := time.Now().UTC().Add(-time.Hour)
	out := make([]event.Event, n)
	for i := range out {
		at := now.Add(time.Duration(i) * time.Millisecond)
		host := fmt.Sprintf("host%03d", rng.IntN(200))
		var msg string
		switch i % 4 {
		case 0:
			msg = fmt.Sprintf("sshd 2212 - - Failed password for invalid user u%d from 203.0.113.%d port %d ssh2", rng.IntN(2000), rng.IntN(250), 40000+rng.IntN(20000))
		case 1:
			msg = fmt.Sprintf("sudo 881 - - u%d : TTY=pts/0 ; PWD=/home/u ; USER=root ; COMMAND=/usr/bin/systemctl restart postfix", rng.IntN(2000))
		default:
			msg = fmt.Sprintf(`- - - date=%s time=%s devname="%s" devid="FG100F" logid="0000000013" type="traffic" subtype="forward" level="notice" srcip=10.20.%d.%d srcport=%d dstip=198.51.100.%d dstport=443 proto=6 action="accept" policyid=12 sentbyte=%d rcvdbyte=%d`,
				at.Format("2006-01-02"), at.Format("15:04:05"), host, rng.IntN(250), rng.IntN(250), 40000+rng.IntN(20000), rng.IntN(250), rng.IntN(90000), rng.IntN(900000))
		}
		line := fmt.Sprintf("<38>1 %s %s %s", at.Format("2006-01-02T15:04:05.000000Z"), host, msg)
		out[i] = p.Parse([]byte(line), at, time.UTC)
		out[i].UnitID = 1
		out[i].Source = event.Source{Kind: event.KindSyslog, Name: "syslog-tcp", Addr: "10.0.0.1"}
	}
	return out
}

// BenchmarkStoreNormalizedSyslog appends normalised syslog events (a
// quarter sshd, a quarter sudo, half FortiGate) to the embedded store in
// batches of 1,000, the way the pipeline does; normalisation is timed
// separately (ns/event metrics).
func BenchmarkStoreNormalizedSyslog(b *testing.B) {
	const n = 100_000
	store, err := vlstore.Open(context.Background(), b.TempDir(), vlstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	reg := normalize.Default()
	var normTime, appendTime time.Duration
	var fields int
	for range b.N {
		b.StopTimer()
		evs := syslogMix(n)
		b.StartTimer()
		t0 := time.Now()
		reg.NormalizeBatch(evs)
		normTime += time.Since(t0)
		for _, e := range evs[:100] {
			fields += len(e.Fields)
		}
		t0 = time.Now()
		for i := 0; i < n; i += 1000 {
			if _, err := store.Append(context.Background(), evs[i:i+1000]); err != nil {
				b.Fatal(err)
			}
		}
		appendTime += time.Since(t0)
	}
	b.ReportMetric(float64(normTime.Nanoseconds())/float64(b.N*n), "normalize-ns/event")
	b.ReportMetric(float64(appendTime.Nanoseconds())/float64(b.N*n), "append-ns/event")
	b.ReportMetric(float64(b.N*n)/appendTime.Seconds(), "append-events/s")
	b.ReportMetric(float64(fields)/float64(b.N*100), "fields/event")
}
