package app

import (
	"context"
	"time"

	"khien.vn/khien/internal/eventstore"
	"khien.vn/khien/internal/ingest"
	"khien.vn/khien/internal/metrics"
)

// registerIngestMetrics exposes the listeners, the spool, the pipeline and
// the event store at /metrics (docs/ingest.md lists them).
func registerIngestMetrics(reg *metrics.Registry, in *Ingest) {
	perReceiver := func(name, help string, value func(r ingest.Receiver) uint64) {
		reg.CollectVec(name, help, "counter", []string{"listener", "protocol"}, func(emit func(float64, ...string)) {
			for _, r := range in.Receivers() {
				emit(float64(value(r)), r.Name, r.Protocol)
			}
		})
	}
	perReceiver("khien_ingest_received_events_total", "Events accepted by a listener (durable in the spool).",
		func(r ingest.Receiver) uint64 { return r.Received })
	perReceiver("khien_ingest_dropped_events_total", "Events a listener dropped (UDP overload, oversized messages).",
		func(r ingest.Receiver) uint64 { return r.Dropped })
	perReceiver("khien_ingest_parse_errors_total", "Events a listener stored with a parse error.",
		func(r ingest.Receiver) uint64 { return r.ParseErrors })
	perReceiver("khien_ingest_received_bytes_total", "Bytes read from senders.",
		func(r ingest.Receiver) uint64 { return r.Bytes })
	reg.CollectVec("khien_detect_rule_matches_total", "Ingested events a detection rule (or correlation rule) matched since start.", "counter", []string{"rule_id", "level"}, func(emit func(float64, ...string)) {
		if in.Detection == nil {
			return
		}
		for r, n := range in.Detection.Hits() {
			emit(float64(n), r.ID, r.Level)
		}
	})
	reg.CollectVec("khien_alert_hits_total", "Detection matches given to the alert service, by outcome: kept (grouped into an alert), excepted (suppressed by an exception) or dropped (too many groups pending).", "counter", []string{"outcome"}, func(emit func(float64, ...string)) {
		st := in.core.Alerts.Stats()
		emit(float64(st.Hits-st.Excepted-st.Dropped), "kept")
		emit(float64(st.Excepted), "excepted")
		emit(float64(st.Dropped), "dropped")
	})
	reg.CollectVec("khien_alerts_raised_total", "Alerts created since start.", "counter", nil, func(emit func(float64, ...string)) {
		emit(float64(in.core.Alerts.Stats().Raised))
	})
	reg.CollectVec("khien_alert_write_failures_total", "Alert flushes that could not write to the database (their matches are kept and retried).", "counter", nil, func(emit func(float64, ...string)) {
		emit(float64(in.core.Alerts.Stats().WriteFails))
	})
	reg.CollectVec("khien_backup_syslog_results_total", "Backup job results recognised in ingested messages, by outcome: recorded (a run of a plan's copy), duplicate, unknown_job (no copy names the job), ambiguous (several do), failed (not stored).", "counter", []string{"outcome"}, func(emit func(float64, ...string)) {
		if in.BackupRuns == nil {
			return
		}
		st := in.BackupRuns.Stats()
		emit(float64(st.Recorded), "recorded")
		emit(float64(st.Duplicates), "duplicate")
		emit(float64(st.UnknownJob), "unknown_job")
		emit(float64(st.Ambiguous), "ambiguous")
		emit(float64(st.Failed), "failed")
	})
	reg.CollectVec("khien_ingest_connections", "Open connections of a stream listener.", "gauge", []string{"listener"}, func(emit func(float64, ...string)) {
		for _, sl := range in.syslog {
			open, _ := sl.Conns()
			emit(float64(open), sl.Name())
		}
	})

	reg.Collect(func(emit func(name, help, kind string, v float64)) {
		sp := in.Spool.Stats()
		emit("khien_spool_backlog_bytes", "Bytes in the spool not yet stored in the event store.", "gauge", float64(sp.BacklogBytes))
		emit("khien_spool_backlog_records", "Batches in the spool not yet stored in the event store.", "gauge", float64(sp.BacklogRecords))
		emit("khien_spool_segments", "Segment files of the spool.", "gauge", float64(sp.Segments))
		emit("khien_spool_appended_events_total", "Events made durable in the spool.", "counter", float64(sp.AppendedEvents))
		emit("khien_spool_committed_events_total", "Events released from the spool after the event store flushed them.", "counter", float64(sp.CommittedEvents))
		emit("khien_spool_syncs_total", "Group commits of the spool (one fdatasync each).", "counter", float64(sp.Syncs))
		emit("khien_spool_blocked_appends_total", "Appends that waited for the backlog to shrink (senders slowed down).", "counter", float64(sp.BlockedAppends))
		emit("khien_spool_corrupt_regions_total", "Corrupt spool regions skipped.", "counter", float64(sp.CorruptRegions))

		ps := in.Pipeline.Stats()
		emit("khien_pipeline_events_total", "Events read from the spool by the pipeline.", "counter", float64(ps.Events))
		emit("khien_pipeline_stored_events_total", "Events stored in the event store.", "counter", float64(ps.Stored))
		emit("khien_pipeline_too_old_events_total", "Events the event store refused as older than the retention.", "counter", float64(ps.TooOld))
		emit("khien_pipeline_too_new_events_total", "Events the event store refused as too far in the future.", "counter", float64(ps.TooNew))
		emit("khien_pipeline_invalid_events_total", "Events beyond the event store's limits.", "counter", float64(ps.Invalid))
		emit("khien_pipeline_parse_errors_total", "Stored events that carry a parse error.", "counter", float64(ps.ParseErrors))
		emit("khien_pipeline_append_errors_total", "Failed event store appends (retried).", "counter", float64(ps.AppendErrors))
		emit("khien_pipeline_flush_errors_total", "Failed event store flushes or spool commits (retried).", "counter", float64(ps.FlushErrors))
		emit("khien_pipeline_pending_events", "Events stored but not yet flushed and released from the spool.", "gauge", float64(ps.Pending))
		if !ps.LastFlush.IsZero() {
			emit("khien_pipeline_last_flush_age_seconds", "Seconds since the event store was last flushed.", "gauge", time.Since(ps.LastFlush).Seconds())
		}
		emit("khien_ingest_unknown_sources", "Sources no asset matched.", "gauge", float64(len(in.Attributor.Unknowns())))
		silent := 0
		list := in.Tracker.List()
		for _, s := range list {
			if s.Silent {
				silent++
			}
		}
		emit("khien_ingest_sources", "Event sources seen (kind, listener, host).", "gauge", float64(len(list)))
		emit("khien_ingest_silent_sources", "Sources that used to send and stopped.", "gauge", float64(silent))

		if ur, ok := in.Store.(eventstore.UsageReporter); ok {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if u, err := ur.Usage(ctx); err == nil {
				emit("khien_eventstore_disk_bytes", "Size of the stored events on disk.", "gauge", float64(u.DiskBytes))
				emit("khien_eventstore_rows", "Stored events.", "gauge", float64(u.Rows))
				emit("khien_eventstore_partitions", "Per-day partitions of the event store.", "gauge", float64(u.Partitions))
				ro := 0.0
				if u.ReadOnly {
					ro = 1
				}
				emit("khien_eventstore_read_only", "1 when the event store refuses appends for lack of disk space.", "gauge", ro)
			}
		}
	})
}
