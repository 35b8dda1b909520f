package intel

import "time"

// ImportOptions tell an importer (STIX, MISP, CSV) how to fill what its
// input does not say.
type ImportOptions struct {
	// UnitID owns the imported indicators.
	UnitID int64
	// Source names the feed or file ("CIRCL OSINT", "VNCERT TAXII");
	// importers may add the producer's name when the input gives it.
	Source string
	// DefaultTLP applies to indicators without a TLP marking; empty means
	// TLPAmber.
	DefaultTLP TLP
	// DefaultConfidence applies to indicators without a confidence.
	DefaultConfidence int
	// Now gives CreatedAt and UpdatedAt; nil means time.Now.
	Now func() time.Time
}

// Batch is the result of reading one input: the indicators, ready for
// Store.UpsertIndicators, and the items that were left out, with why.
type Batch struct {
	Indicators []Indicator
	Skipped    []Skip
}

// Skip is an item of an input that was not imported. Ref identifies it in
// the input (a STIX id, a MISP attribute UUID, "line 12"); Reason says why.
type Skip struct {
	Ref, Reason string
}

func (o ImportOptions) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o ImportOptions) defaultTLP() TLP {
	if o.DefaultTLP.Rank() == 0 {
		return TLPAmber
	}
	return o.DefaultTLP
}
