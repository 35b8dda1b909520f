// Package authority builds the two reports an organisation sends to the
// information-security authority, in Vietnamese, from live data handed in by
// the caller:
//
//   - [Annual]: the annual report (báo cáo định kỳ hằng năm) of Circular
//     12/2022/TT-BTTTT Arts 13–14, one section per content item 1–11 of
//     Art. 14, for the data period 15/12 of the previous year to 14/12 of the
//     reporting year ([AnnualPeriod]).
//   - [Implementation]: the implementation-results report (báo cáo kết quả
//     triển khai) that the 2024 post-ransomware dispatch asks for: systems
//     inventoried, classified and approved; plans implemented, and overdue
//     against Directive 09/CT-TTg's 31/12/2024 target; the four protection
//     layers per system; incidents; backups; threat hunts and vulnerability
//     scans; designated focal points.
//
// Both are [report.Document] values, rendered to DOCX or PDF with
// [report.Render], and each has an XLSX annex ([AnnualAnnexXLSX],
// [ImplementationAnnexXLSX]) holding its tables with typed cells.
//
// The package does no I/O besides writing the annexes and keeps no state: the
// caller (the application layer) gathers the data from the system register,
// dossiers, assessments and other modules and passes it in. The builders are
// pure and deterministic; they do not validate — call Validate first and show
// its problems to the user.
//
// "No data" is not zero. Facts that Khiên may not hold — whether a system
// has backups, a protection layer, a security regulation; incident counts;
// threat hunts and scans; focal points — are typed so that their zero value
// means "not recorded in Khiên" ([Unknown], [PlanUnknown], Known: false), and
// the documents print that as "Chưa có dữ liệu" and add a note explaining it,
// never as 0 or "no".
package authority
