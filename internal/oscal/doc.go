// Package oscal exports Khiên's requirement catalogue, level baselines and
// assessment results as OSCAL (NIST Open Security Controls Assessment
// Language) JSON, version 1.1.2, and imports OSCAL catalogs as custom
// frameworks.
//
// Export is a pure function of its input and a timestamp: ExportCatalog,
// ExportProfile and ExportAssessmentResults derive every UUID (version 5)
// from a Khiên namespace and the identifiers of what they describe, so the
// same input and time give byte-identical JSON. The documents follow the
// official OSCAL 1.1.2 JSON schemas: required fields are always present,
// optional arrays are left out rather than empty, timestamps are UTC with
// whole seconds, and Khiên-specific data travels in props and parts whose
// ns is Namespace.
//
// Import is defensive: ParseCatalog reads untrusted input with limits on
// size, nesting and control count, tolerates unknown fields (OSCAL allows
// extensions), and reports problems with a JSON path; Catalog.Framework
// flattens the result into a Framework, reading levels and TCVN clauses back
// from Khiên props when the catalog carries them.
//
// See docs/oscal.md for the mapping.
package oscal
