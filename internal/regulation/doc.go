// Package regulation holds regulation packs and the level engine.
//
// A regulation pack is versioned YAML data (one file per pack, see
// docs/regulation-packs.md) that carries what a legal regime says about
// information systems: the information and system types, the level criteria,
// who appraises and approves a level, the dossier outline, the parts of the
// security plan, deadlines, the profile fields whose change calls for a new
// level determination, the requirement catalogue per level and the recurring
// obligations (scans, inspections, drills, annual reports). Every item carries its legal source (document,
// article, clause, point) and a confirmation status, because several texts
// behind the packs were read only in summaries.
//
// Packs are embedded in the binary (LoadEmbedded) and may be replaced or
// supplemented from a directory (Registry.Override). Loading validates a pack
// strictly and reports every problem as "file:line:col: message".
//
// The level engine (Pack.Determine, Pack.DetermineComposite) is a pure
// function of a Profile: it proposes a level, lists every matched criterion
// with its source and bilingual text, and marks the result "needs review"
// when it rests on a criterion that is not confirmed, when a criterion might
// apply but the profile lacks the values to decide, or when no criterion
// applies.
//
// A Pack is immutable once loaded: its accessors return copies, and it is
// safe for concurrent use. A Registry is safe for concurrent use too.
package regulation
