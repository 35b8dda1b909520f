package oscal

// The OSCAL 1.1.2 JSON model, limited to what Khiên writes and reads. Field
// order follows the schemas. Optional arrays carry omitempty because the
// schemas require at least one item in every array that is present.

// Version is the OSCAL version of the documents this package writes.
const Version = "1.1.2"

// Namespace qualifies Khiên's own props and parts (the ns field).
const Namespace = "https://khien.vn/ns/oscal"

// nistNamespace is the namespace of OSCAL's own names; a prop or part
// without ns is in it too.
const nistNamespace = "http://csrc.nist.gov/ns/oscal"

// Catalog is an OSCAL catalog: the value of the top-level "catalog" key.
// ParseCatalog returns one; fields the package does not use (roles,
// parties, parameter constraints, …) are dropped on reading.
type Catalog struct {
	UUID       string      `json:"uuid"`
	Metadata   *Metadata   `json:"metadata,omitempty"`
	Params     []Param     `json:"params,omitempty"`
	Controls   []Control   `json:"controls,omitempty"`
	Groups     []Group     `json:"groups,omitempty"`
	BackMatter *BackMatter `json:"back-matter,omitempty"`
}

// Metadata is the metadata of an OSCAL document.
type Metadata struct {
	Title        string     `json:"title"`
	Published    string     `json:"published,omitempty"`
	LastModified string     `json:"last-modified"`
	Version      string     `json:"version"`
	OSCALVersion string     `json:"oscal-version"`
	Props        []Property `json:"props,omitempty"`
	Links        []Link     `json:"links,omitempty"`
	Remarks      string     `json:"remarks,omitempty"`
}

// Group is a group of controls or of groups.
type Group struct {
	ID       string     `json:"id,omitempty"`
	Class    string     `json:"class,omitempty"`
	Title    string     `json:"title"`
	Params   []Param    `json:"params,omitempty"`
	Props    []Property `json:"props,omitempty"`
	Links    []Link     `json:"links,omitempty"`
	Parts    []Part     `json:"parts,omitempty"`
	Groups   []Group    `json:"groups,omitempty"`
	Controls []Control  `json:"controls,omitempty"`
}

// Control is a control; Controls holds its enhancements.
type Control struct {
	ID       string     `json:"id"`
	Class    string     `json:"class,omitempty"`
	Title    string     `json:"title"`
	Params   []Param    `json:"params,omitempty"`
	Props    []Property `json:"props,omitempty"`
	Links    []Link     `json:"links,omitempty"`
	Parts    []Part     `json:"parts,omitempty"`
	Controls []Control  `json:"controls,omitempty"`
}

// Part is a piece of prose of a control or group (statement, guidance, …).
type Part struct {
	ID    string     `json:"id,omitempty"`
	Name  string     `json:"name"`
	NS    string     `json:"ns,omitempty"`
	Class string     `json:"class,omitempty"`
	Title string     `json:"title,omitempty"`
	Props []Property `json:"props,omitempty"`
	Prose string     `json:"prose,omitempty"`
	Parts []Part     `json:"parts,omitempty"`
	Links []Link     `json:"links,omitempty"`
}

// Param is a control parameter, inserted in prose with
// "{{ insert: param, id }}".
type Param struct {
	ID      string     `json:"id"`
	Class   string     `json:"class,omitempty"`
	Props   []Property `json:"props,omitempty"`
	Links   []Link     `json:"links,omitempty"`
	Label   string     `json:"label,omitempty"`
	Usage   string     `json:"usage,omitempty"`
	Values  []string   `json:"values,omitempty"`
	Select  *Selection `json:"select,omitempty"`
	Remarks string     `json:"remarks,omitempty"`
}

// Selection is a parameter whose value is chosen among alternatives.
type Selection struct {
	HowMany string   `json:"how-many,omitempty"`
	Choice  []string `json:"choice,omitempty"`
}

// Property is a name/value pair, qualified by NS.
type Property struct {
	Name    string `json:"name"`
	UUID    string `json:"uuid,omitempty"`
	NS      string `json:"ns,omitempty"`
	Value   string `json:"value"`
	Class   string `json:"class,omitempty"`
	Group   string `json:"group,omitempty"`
	Remarks string `json:"remarks,omitempty"`
}

// Link is a reference to a resource; "#uuid" points into the back matter.
type Link struct {
	Href             string `json:"href"`
	Rel              string `json:"rel,omitempty"`
	MediaType        string `json:"media-type,omitempty"`
	ResourceFragment string `json:"resource-fragment,omitempty"`
	Text             string `json:"text,omitempty"`
}

// BackMatter holds the resources a document refers to.
type BackMatter struct {
	Resources []Resource `json:"resources,omitempty"`
}

// Resource is a back-matter resource: a cited document or an evidence file.
type Resource struct {
	UUID        string       `json:"uuid"`
	Title       string       `json:"title,omitempty"`
	Description string       `json:"description,omitempty"`
	Props       []Property   `json:"props,omitempty"`
	DocumentIDs []DocumentID `json:"document-ids,omitempty"`
	Citation    *Citation    `json:"citation,omitempty"`
	RLinks      []RLink      `json:"rlinks,omitempty"`
	Remarks     string       `json:"remarks,omitempty"`
}

// DocumentID identifies a document within a scheme.
type DocumentID struct {
	Scheme     string `json:"scheme,omitempty"`
	Identifier string `json:"identifier"`
}

// Citation is the citation text of a resource.
type Citation struct {
	Text  string     `json:"text"`
	Props []Property `json:"props,omitempty"`
	Links []Link     `json:"links,omitempty"`
}

// RLink is a URL of a resource, with optional hashes of its content.
type RLink struct {
	Href      string `json:"href"`
	MediaType string `json:"media-type,omitempty"`
	Hashes    []Hash `json:"hashes,omitempty"`
}

// Hash is a digest of a resource; Algorithm is e.g. "SHA-256".
type Hash struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"value"`
}

// Profile model (export only).

type profileDocument struct {
	Profile profile `json:"profile"`
}

type profile struct {
	UUID     string          `json:"uuid"`
	Metadata Metadata        `json:"metadata"`
	Imports  []profileImport `json:"imports"`
	Merge    *profileMerge   `json:"merge,omitempty"`
}

type profileImport struct {
	Href            string             `json:"href"`
	IncludeControls []profileSelection `json:"include-controls,omitempty"`
}

type profileSelection struct {
	WithChildControls string   `json:"with-child-controls,omitempty"`
	WithIDs           []string `json:"with-ids,omitempty"`
}

type profileMerge struct {
	AsIs bool `json:"as-is"`
}

// Assessment-results model (export only).

type assessmentResultsDocument struct {
	AssessmentResults assessmentResults `json:"assessment-results"`
}

type assessmentResults struct {
	UUID       string      `json:"uuid"`
	Metadata   Metadata    `json:"metadata"`
	ImportAP   importAP    `json:"import-ap"`
	Results    []result    `json:"results"`
	BackMatter *BackMatter `json:"back-matter,omitempty"`
}

type importAP struct {
	Href    string `json:"href"`
	Remarks string `json:"remarks,omitempty"`
}

type result struct {
	UUID             string           `json:"uuid"`
	Title            string           `json:"title"`
	Description      string           `json:"description"`
	Start            string           `json:"start"`
	End              string           `json:"end,omitempty"`
	Props            []Property       `json:"props,omitempty"`
	ReviewedControls reviewedControls `json:"reviewed-controls"`
	Observations     []observation    `json:"observations,omitempty"`
	Findings         []finding        `json:"findings,omitempty"`
	Remarks          string           `json:"remarks,omitempty"`
}

type reviewedControls struct {
	Description       string             `json:"description,omitempty"`
	ControlSelections []controlSelection `json:"control-selections"`
}

type controlSelection struct {
	Description     string       `json:"description,omitempty"`
	IncludeControls []controlRef `json:"include-controls,omitempty"`
}

type controlRef struct {
	ControlID    string   `json:"control-id"`
	StatementIDs []string `json:"statement-ids,omitempty"`
}

type observation struct {
	UUID             string             `json:"uuid"`
	Title            string             `json:"title,omitempty"`
	Description      string             `json:"description"`
	Props            []Property         `json:"props,omitempty"`
	Methods          []string           `json:"methods"`
	RelevantEvidence []relevantEvidence `json:"relevant-evidence,omitempty"`
	Collected        string             `json:"collected"`
	Remarks          string             `json:"remarks,omitempty"`
}

type relevantEvidence struct {
	Href        string     `json:"href,omitempty"`
	Description string     `json:"description"`
	Props       []Property `json:"props,omitempty"`
}

type finding struct {
	UUID                string               `json:"uuid"`
	Title               string               `json:"title"`
	Description         string               `json:"description"`
	Props               []Property           `json:"props,omitempty"`
	Target              findingTarget        `json:"target"`
	RelatedObservations []relatedObservation `json:"related-observations,omitempty"`
	Remarks             string               `json:"remarks,omitempty"`
}

type findingTarget struct {
	Type                 string                `json:"type"`
	TargetID             string                `json:"target-id"`
	Status               objectiveStatus       `json:"status"`
	ImplementationStatus *implementationStatus `json:"implementation-status,omitempty"`
}

type objectiveStatus struct {
	State   string `json:"state"`
	Reason  string `json:"reason,omitempty"`
	Remarks string `json:"remarks,omitempty"`
}

type implementationStatus struct {
	State string `json:"state"`
}

type relatedObservation struct {
	ObservationUUID string `json:"observation-uuid"`
}
