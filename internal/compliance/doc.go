// Package compliance holds requirement sets, assessments, evidence, automatic
// probes and the obligations calendar.
//
// # Automatic evidence
//
// A Probe decides, from data Khiên already holds, whether one or more
// requirements of a regulation pack (by requirement ID, e.g.
// "mgmt.ops.incident") are met for a Subject (an information system with its
// unit and level). It returns a Result: a Status (met, not_met or unknown),
// the time the facts were observed, a human-readable Proof of what was
// checked and found, and machine-readable Facts.
//
// A Result is only as good as its age: each probe declares a freshness
// window, and Effective reports StatusUnknown for a result older than that
// window, so an item turns stale by itself when its data is not refreshed
// (see Stale).
//
// Probes are collected in a Registry. Capabilities plug in their probes with
// Register at start-up (telemetry, vulnerability scans, hunts, backups,
// incidents); Registry.Run evaluates every probe for a subject, isolating
// each probe's errors and panics from the others.
//
// Each built-in probe depends only on a small interface it declares
// (AccountFacts, ResponsibilityFacts, AssessmentFacts), so that package app
// can wire the real services.
package compliance
