package sheet

import (
	"slices"
	"strconv"
	"strings"

	"khien.vn/khien/internal/regulation"
)

// textRef returns the field of r that a text column reads into. Every
// KindText key of Columns has a case here (TestColumns checks it).
func textRef(r *Row, key string) *string {
	s := &r.System
	switch key {
	case KeyCode:
		return &s.Code
	case KeyName:
		return &s.Name
	case KeyUnitCode:
		return &r.UnitCode
	case KeyParentCode:
		return &r.ParentCode
	case KeyScope:
		return &s.Scope
	case KeyDescription:
		return &s.Description
	}
	for _, pt := range parties {
		rest, ok := strings.CutPrefix(key, pt.prefix)
		if !ok {
			continue
		}
		p := pt.get(s)
		if rest == "name" {
			return &p.Name
		}
		for _, c := range contacts {
			if rest == c.suffix {
				return c.get(p)
			}
		}
	}
	return nil
}

func intRef(pr *regulation.Profile, field string) *int {
	switch field {
	case regulation.FieldDataSubjects:
		return &pr.DataSubjects
	case regulation.FieldOnlinePublicServiceLevel:
		return &pr.OnlinePublicServiceLevel
	}
	return nil
}

func boolRef(pr *regulation.Profile, field string) *bool {
	switch field {
	case regulation.FieldConditionalBusinessLine:
		return &pr.ConditionalBusinessLine
	case regulation.FieldRequires24x7:
		return &pr.Requires24x7
	case regulation.FieldUnplannedDowntimeAcceptable:
		return &pr.UnplannedDowntimeAcceptable
	case regulation.FieldNationalEGovernment:
		return &pr.NationalEGovernment
	case regulation.FieldEspeciallyImportantNationalData:
		return &pr.EspeciallyImportantNationalData
	}
	return nil
}

func enumValue(r *Row, key string) string {
	s := &r.System
	switch key {
	case KeyStatus:
		return string(s.Status)
	case KeyHosting:
		return string(s.Hosting)
	case regulation.FieldSystemType:
		return s.Profile.SystemType
	case regulation.FieldStateSecretGrade:
		return s.Profile.StateSecretGrade
	case regulation.FieldInfrastructureScope:
		return s.Profile.InfrastructureScope
	case regulation.FieldWorksGrade:
		return s.Profile.WorksGrade
	}
	return ""
}

// cell is one exported value: a string, or a number for KindInt columns.
type cell struct {
	s     string
	n     int
	isNum bool
}

// cells returns the exported values of r in the order of cols. A profile
// field in Unanswered is blank; so is a DataSubjects of 0, which means not
// given.
func cells(cols []Column, r *Row) []cell {
	pr := &r.System.Profile
	out := make([]cell, len(cols))
	for i, c := range cols {
		if c.Field != "" && slices.Contains(pr.Unanswered, c.Field) {
			continue
		}
		switch c.Kind {
		case KindText:
			if p := textRef(r, c.Key); p != nil {
				out[i] = cell{s: *p}
			}
		case KindEnum:
			out[i] = cell{s: enumValue(r, c.Key)}
		case KindList:
			out[i] = cell{s: strings.Join(pr.InfoTypes, ", ")}
		case KindInt:
			n := *intRef(pr, c.Field)
			if n != 0 || c.Field != regulation.FieldDataSubjects {
				out[i] = cell{s: strconv.Itoa(n), n: n, isNum: true}
			}
		case KindBool:
			v := valueNo.ID
			if *boolRef(pr, c.Field) {
				v = valueYes.ID
			}
			out[i] = cell{s: v}
		}
	}
	return out
}
