package hunt

// SetRetroPage sets the events a retro-hunt reads per query, for tests of
// the window halving; it returns the old value.
func SetRetroPage(n int) int {
	old := retroPage
	retroPage = n
	return old
}
