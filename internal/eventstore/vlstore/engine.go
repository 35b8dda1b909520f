package vlstore

import (
	"bytes"
	"context"
	"flag"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"

	vmlogger "github.com/VictoriaMetrics/VictoriaMetrics/lib/logger"
	"github.com/VictoriaMetrics/VictoriaMetrics/lib/memory"
)

// The engine keeps process-wide state that Khiên cannot scope to one Store:
// flags on flag.CommandLine, a memory budget computed once, and one logger.
// This file is the only place that touches it; it is the exception to the
// no-package-level-state rule, forced by the library (docs/eventstore.md).
var engine struct {
	once sync.Once
	// budget is the memory budget in force, fixed by the first Open.
	budget int64
	// log receives the engine's log lines; nil discards them.
	log atomic.Pointer[slog.Logger]
}

// setUpEngine configures the engine before its first use: it marks the
// global flag set parsed (the library panics otherwise, and Khiên never
// parses it), sets the memory budget from which the library sizes its
// caches (instead of 60% of the machine's RAM), and routes the library's log
// lines to log. Only the first call sets the budget; every call with a
// non-nil log replaces the logger. It returns the budget in force.
func setUpEngine(budget int64, log *slog.Logger) int64 {
	if log != nil {
		engine.log.Store(log)
	}
	engine.once.Do(func() {
		if !flag.Parsed() {
			// Marks flag.CommandLine parsed without reading os.Args:
			// Khiên's own flags live in its own FlagSets.
			_ = flag.CommandLine.Parse([]string{})
		}
		if total := totalMemory(); total > 0 && budget >= total*9/10 {
			// The library exits the process when the budget leaves
			// nothing to the OS.
			budget = total / 2
		}
		if f := flag.CommandLine.Lookup("memory.allowedBytes"); f != nil {
			_ = f.Value.Set(strconv.FormatInt(budget, 10))
		}
		vmlogger.SetOutputForTests(logWriter{})
		engine.budget = int64(memory.Allowed())
	})
	return engine.budget
}

// logWriter turns the library's log lines ("time\tlevel\tcaller\tmessage")
// into slog records: its info lines (partition and snapshot life cycle) at
// Debug, warnings at Warn, errors at Error.
type logWriter struct{}

func (logWriter) Write(p []byte) (int, error) {
	log := engine.log.Load()
	if log == nil {
		return len(p), nil
	}
	line := bytes.TrimRight(p, "\n")
	parts := bytes.SplitN(line, []byte("\t"), 4)
	level, caller, msg := slog.LevelError, "", string(line)
	if len(parts) == 4 {
		caller, msg = string(parts[2]), string(parts[3])
		switch string(parts[1]) {
		case "info":
			level = slog.LevelDebug
		case "warn":
			level = slog.LevelWarn
		}
	}
	ctx := context.Background()
	if !log.Enabled(ctx, level) {
		return len(p), nil
	}
	log.LogAttrs(ctx, level, "event store engine", slog.String("caller", caller), slog.String("detail", msg))
	return len(p), nil
}
