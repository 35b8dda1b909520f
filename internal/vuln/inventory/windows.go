package inventory

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// parseWindowsCSV reads the Export-Csv output of the registry's Uninstall
// keys (see doc.go).
func parseWindowsCSV(b *builder, data []byte, _ Options) error {
	// Windows PowerShell without -NoTypeInformation starts with a type line.
	skipped := 0
	if bytes.HasPrefix(data, []byte("#TYPE")) {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			i = len(data) - 1
		}
		data, skipped = data[i+1:], 1
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.ReuseRecord = true
	where := func(err error) string {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return fmt.Sprintf("line %d, column %d", pe.Line+skipped, pe.Column)
		}
		return ""
	}
	msg := func(err error) string {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return pe.Err.Error()
		}
		return err.Error()
	}
	header, err := r.Read()
	if err == io.EOF {
		return malformed(b.format, "", "empty file: want a header line with a DisplayName column")
	}
	if err != nil {
		return malformed(b.format, where(err), "%s", msg(err))
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := col[h]; !dup {
			col[h] = i
		}
	}
	nameCol, ok := col["displayname"]
	if !ok {
		return malformed(b.format, fmt.Sprintf("line %d", 1+skipped), "no DisplayName column in the header (want DisplayName, DisplayVersion, Publisher, InstallDate)")
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return malformed(b.format, where(err), "%s", msg(err))
		}
		line, _ := r.FieldPos(0)
		name := strings.TrimSpace(rec[nameCol])
		if name == "" {
			continue // registry keys without a name are not listed by Windows
		}
		version := strings.TrimSpace(get(rec, "displayversion"))
		p := Package{
			Name:    withoutVersion(name, version),
			Version: version,
			Vendor:  get(rec, "publisher"),
		}
		if err := b.add(fmt.Sprintf("line %d", line+skipped), p); err != nil {
			return err
		}
	}
}

// withoutVersion returns a program's display name without its display
// version where the name carries it as a word ("7-Zip 23.01 (x64)",
// version 23.01 → "7-Zip (x64)"), so that an upgraded program keeps its
// name: its findings are then fixed by the upgrade, with the new version
// as proof, and the import's changes show a version change rather than a
// program removed and another added. A name that is only the version stays.
func withoutVersion(name, version string) string {
	if version == "" {
		return name
	}
	word := func(r byte) bool {
		return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '.' || r == '_' || r == '-' || r >= 0x80
	}
	for from := 0; from < len(name); {
		i := strings.Index(name[from:], version)
		if i < 0 {
			break
		}
		i += from
		j := i + len(version)
		if (i == 0 || !word(name[i-1])) && (j == len(name) || !word(name[j])) {
			out := strings.Join(strings.Fields(name[:i]+" "+name[j:]), " ")
			out = strings.ReplaceAll(strings.ReplaceAll(out, "( ", "("), " )", ")")
			if out == "" || out == "()" {
				return name
			}
			return out
		}
		from = i + 1
	}
	return name
}
