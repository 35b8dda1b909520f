package sheet

import (
	"errors"
	"io"

	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system"
)

// ExportCSV writes systems as a register in CSV, with the columns of
// Columns(p), so that the file reads back with ParseCSV. unitCode and
// systemCode give the codes of a unit id and of a parent system id; either
// may be nil, which leaves those cells blank.
func ExportCSV(w io.Writer, p *regulation.Pack, systems []system.System, unitCode, systemCode func(int64) string) error {
	if p == nil {
		return errors.New("export register: no regulation pack")
	}
	cols := Columns(p)
	return writeCSV(w, cols, exportRows(cols, systems, unitCode, systemCode))
}

// ExportXLSX writes systems as a register workbook, with the same columns,
// drop-down lists and instructions sheet as TemplateXLSX, so that the file
// reads back with ParseXLSX. unitCode and systemCode are as for ExportCSV.
func ExportXLSX(w io.Writer, p *regulation.Pack, systems []system.System, unitCode, systemCode func(int64) string) error {
	if p == nil {
		return errors.New("export register: no regulation pack")
	}
	cols := Columns(p)
	return writeXLSX(w, cols, exportRows(cols, systems, unitCode, systemCode))
}

func exportRows(cols []Column, systems []system.System, unitCode, systemCode func(int64) string) [][]cell {
	out := make([][]cell, len(systems))
	for i, s := range systems {
		r := Row{System: s}
		if unitCode != nil && s.UnitID != 0 {
			r.UnitCode = unitCode(s.UnitID)
		}
		if systemCode != nil && s.ParentID != 0 {
			r.ParentCode = systemCode(s.ParentID)
		}
		out[i] = cells(cols, &r)
	}
	return out
}
