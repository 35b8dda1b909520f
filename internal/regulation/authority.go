package regulation

import (
	"fmt"
	"strings"

	"khien.vn/khien/internal/errs"
)

// Check applies the rule to one dossier. units maps the step and role ids
// to the ids of the units that hold them, e.g.
//
//	{"appraise": "unit-12", "operator": "unit-7"}
//
// conflicts lists the roles held by the same unit as the step; missing lists
// the step or roles absent from units, which the rule cannot check.
func (r IndependenceRule) Check(units map[string]string) (conflicts, missing []string) {
	performer, ok := units[r.Step]
	if !ok || performer == "" {
		missing = append(missing, r.Step)
	}
	for _, role := range r.IndependentOf {
		holder, ok := units[role]
		switch {
		case !ok || holder == "":
			missing = append(missing, role)
		case performer != "" && holder == performer:
			conflicts = append(conflicts, role)
		}
	}
	return conflicts, missing
}

// CheckIndependence applies every independence rule of the authority to
// one dossier (see IndependenceRule.Check for units). It returns nil when
// all rules hold, else an *IndependenceError.
func (a Authority) CheckIndependence(units map[string]string) error {
	var e IndependenceError
	for _, r := range a.Independence {
		conflicts, missing := r.Check(units)
		if len(conflicts) > 0 || len(missing) > 0 {
			e.Violations = append(e.Violations, Violation{Rule: r.clone(), Conflicts: conflicts, Missing: missing})
		}
	}
	if len(e.Violations) == 0 {
		return nil
	}
	return &e
}

// IndependenceError lists the independence rules an assignment breaks or
// cannot be checked against. It matches errs.ErrInvalid.
type IndependenceError struct {
	Violations []Violation
}

// Violation is one rule an assignment breaks (Conflicts) or lacks the
// units to check (Missing). Rule.Remedies says how to fix it.
type Violation struct {
	Rule      IndependenceRule
	Conflicts []string
	Missing   []string
}

// Error names each violated rule and what is wrong.
func (e *IndependenceError) Error() string {
	var parts []string
	for _, v := range e.Violations {
		s := "rule " + v.Rule.ID + ":"
		if len(v.Conflicts) > 0 {
			s += fmt.Sprintf(" the unit that performs %q also holds %s", v.Rule.Step, strings.Join(v.Conflicts, ", "))
		}
		if len(v.Missing) > 0 {
			if len(v.Conflicts) > 0 {
				s += ";"
			}
			s += " no unit given for " + strings.Join(v.Missing, ", ")
		}
		parts = append(parts, s)
	}
	return "independence: " + strings.Join(parts, "; ")
}

// Unwrap returns errs.ErrInvalid.
func (e *IndependenceError) Unwrap() error { return errs.ErrInvalid }

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), errs.ErrInvalid)
}
