// Package form fills in the official incident-reporting forms of
// Vietnamese regulation from what Khiên holds, and lays them out as
// [report.Document] values for internal/report to render as DOCX or PDF.
//
// The forms and their fields are data: incident.Rules.Forms, from the
// incident rules (Circular 20/2017/TT-BTTTT Forms 01–05, the personal-data
// breach notices of Decree 13/2023/NĐ-CP Form 03 and Decree 356/2025/NĐ-CP
// Form 08). This package adds the wording of every field (labels.yaml,
// embedded, in Vietnamese and English, with an optional hint), and:
//
//   - [Lookup] finds the form a legal clock names ("Mẫu 03"), preferring
//     the clock's regime;
//   - [Prefill] fills each field of a form from the case, its affected
//     systems and their parties, the unit and its focal points, the
//     submissions, timeline, tasks and evidence, and the user generating
//     the form, saying where each value came from. Values the user typed
//     win. Nothing is guessed: a field Khiên cannot fill stays empty;
//   - [Document] prints the form as an official document — masthead,
//     form number, place and date, title, addressees, numbered fields and
//     signature block — with a dotted line ([Blank]) in place of every
//     empty value, for filling in by hand.
//
// The field wording follows the forms as shared/domain/regulation-brief.md
// §5–§6 reconstructs them (secondary sources); check it against the
// official appendices before relying on the exact words.
package form
