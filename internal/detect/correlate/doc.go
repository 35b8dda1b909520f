// Package correlate runs Sigma correlation rules (Sigma correlation rules
// specification 2.0.2) over the stream of detection matches package
// detect produces: New compiles the rules against the detection rules
// they refer to, Observe feeds one match (rule, event time, fields) and
// returns the correlation firings it completes, Flush closes windows as
// time passes. State is per rule and group, bounded, and kept in memory;
// the hot path does not allocate once a group exists.
//
// # Semantics
//
// Quotes are from the specification; where it is silent the choice is
// ours and says so.
//
// Groups. "The resulting query must count events for each group specified
// by group-by separately"; with several fields "they are linked by an
// AND": a group is one combination of values. An event without a
// group-by field belongs to the group whose value is "" (ours: query
// backends such as Splunk's stats … by drop such events, but the
// specification asks to avoid false negatives). No group-by: one group.
//
// Aliases. "The alias field names can then be referenced in group-by
// attributes and are resolved to their respective field names": for an
// observation of referred rule R, a group-by name that is an alias reads
// the field the alias maps R to (R named by the reference used in rules,
// its name or its id). An alias that does not map R reads the field of
// the alias's own name (ours). An alias naming a rule the correlation
// does not refer to is a Problem. value_count's field may be an alias
// too (ours).
//
// Windows. "timespan defines a time period in which the correlation
// should be applied", and "the time frame should not be restricted to
// boundaries": windows slide, in event time (Observation.Time). Events
// are within a timespan when the first and last are at most timespan
// apart (inclusive).
//
// Condition. "gt, gte, lt, lte, eq" ("neq" too, as pySigma does); several
// are all required ("to define a range, you can use the conjunction
// 'AND'"). Two ways to evaluate, by the condition's operators:
//
//   - Only gt and gte (and temporal rules without a condition): the rule
//     fires as soon as, within a sliding window ending at a group's
//     latest observation, the measure reaches the threshold.
//   - Any of lt, lte, eq, neq: the measure can still grow, so the
//     condition can only be decided once the window is over. Such a
//     rule's window opens at a group's first observation and lasts
//     timespan; it is evaluated when it closes — on an observation of the
//     same group past its end (which then opens the next window) or on
//     Flush — and fires if the condition holds. A group exists only once
//     it has an observation (as in query backends: "lt: 5" means one to
//     four events, never zero).
//
// Measures. event_count: "counts events … the condition finally defines
// how many events must occur". value_count: "counts values in a field
// defined by field" — distinct values; an empty or missing value is not
// one (ours, as dc() ignores nulls). temporal: "all events defined by the
// rules referred … must occur in the time frame", in any order; with a
// condition, "the count of different event types (Sigma rules matching)".
// temporal_ordered: "requires in addition that the events appear in the
// order provided in the rule attribute": events of the referred rules at
// non-decreasing times, in the order of rules; with a condition, the
// measure is the longest such in-order run of referred rules (a
// subsequence of rules, ours). Without a condition both temporal types
// need every referred rule (as pySigma: gte the number of rules).
//
// After a firing the group's state is dropped: it fires again only on a
// fresh set of observations (ours, the usual practice of streaming
// engines; without it every later event would fire again).
//
// Chaining. "Refers to one or multiple Sigma or Correlations rules.
// Allowing the user to chain multiple correlations together": a firing of
// a referred correlation rule is an observation for the referring rule,
// at the firing's Last time, whose fields are the inner rule's group-by
// values, then the fields of the event that completed the firing (if
// any). Cycles are Problems. "Only the outermost correlation rule may
// define meta information": firings of rules referred to only by rules
// without generate: true are marked Internal.
//
// Generate. "defines if the rules referred from the correlation rule
// should be converted as stand-alone rules or if only the correlation
// query should be generated (default)": Engine.Generate says whether a
// detection rule's own matches should still be raised.
//
// # Order, memory and limits
//
// Events may arrive out of order. An observation older than its group's
// latest observation minus timespan cannot share a window with it and is
// dropped (counted in Stats.Late); others are placed by their time.
// Results are exact for events in time order; with disorder they may
// miss a match that needs a state an in-order stream would have dropped,
// but never fire on observations that do not satisfy the rule.
//
// Per group the state is what the rule needs: event_count keeps the
// threshold's number of most recent timestamps (a counter when evaluated
// at window close); value_count the distinct values (64-bit hashes) seen
// in the window, at most the threshold; temporal each referred rule's
// latest time; temporal_ordered per position in rules and run length the
// run with the latest start. Plus the last Options.MaxEvents observation
// references. Each rule tracks at most Options.MaxGroups groups, evicting
// the one observed least recently (or, for rules evaluated at window
// close, whose window opened first); evictions are counted. Flush frees
// groups idle for longer than the timespan.
//
// An Engine is not safe for concurrent use.
package correlate
