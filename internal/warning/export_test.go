package warning

import "time"

// SetNow sets the clock of s, for tests.
func SetNow(s *Service, now func() time.Time) { s.now = now }
