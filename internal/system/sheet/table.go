package sheet

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// WriteTableXLSX writes one sheet with a bold header row and the rows
// below it, for reports such as the readiness dashboard's export.
func WriteTableXLSX(w io.Writer, sheetName string, header []string, rows [][]any) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheetName); err != nil {
		return fmt.Errorf("name sheet: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	for c, h := range header {
		cell, _ := excelize.CoordinatesToCellName(c+1, 1)
		if err := f.SetCellValue(sheetName, cell, h); err != nil {
			return err
		}
		if err := f.SetCellStyle(sheetName, cell, cell, bold); err != nil {
			return err
		}
	}
	for r, row := range rows {
		for c, v := range row {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+2)
			if err := f.SetCellValue(sheetName, cell, v); err != nil {
				return err
			}
		}
	}
	if last, err := excelize.ColumnNumberToName(max(len(header), 1)); err == nil {
		_ = f.SetColWidth(sheetName, "A", last, 18)
	}
	return f.Write(w)
}
