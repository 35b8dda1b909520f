package report

// Clean exposes the text cleaning to the external tests.
var Clean = clean
