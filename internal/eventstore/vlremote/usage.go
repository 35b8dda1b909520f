package vlremote

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/eventstore"
)

// Usage reports the size of the stored data, from the /metrics of the
// storage URLs (summed over storage nodes): every tenant the server holds,
// not only Khiên's. MaxDiskBytes is the server's
// -retention.maxDiskSpaceUsageBytes (Options.Retention.MaxDiskBytes when
// the server has none); Oldest and Newest are to the second.
func (s *Store) Usage(ctx context.Context) (u eventstore.Usage, err error) {
	if err := ctx.Err(); err != nil {
		return u, err
	}
	if err := s.begin(); err != nil {
		return u, err
	}
	defer s.mu.RUnlock()
	ctx, cancel := context.WithTimeout(ctx, s.opts.RequestTimeout)
	defer cancel()

	oldest, newest := math.Inf(1), math.Inf(-1)
	for _, base := range s.opts.StorageURLs {
		m, err := s.metrics(ctx, base)
		if err != nil {
			return eventstore.Usage{}, fmt.Errorf("event store usage: %w", err)
		}
		u.DiskBytes += int64(m["vl_data_size_bytes"])
		u.Rows += uint64(m["vl_storage_rows"])
		u.Partitions = max(u.Partitions, int(m["vl_partitions"]))
		u.MaxDiskBytes += int64(m["vl_max_disk_space_usage_bytes"])
		if m["vl_storage_is_read_only"] > 0 {
			u.ReadOnly = true
		}
		if v, ok := m["vl_storage_log_min_timestamp_seconds"]; ok {
			oldest = min(oldest, v)
		}
		if v, ok := m["vl_storage_log_max_timestamp_seconds"]; ok {
			newest = max(newest, v)
		}
	}
	if u.MaxDiskBytes == 0 {
		u.MaxDiskBytes = s.opts.Retention.MaxDiskBytes
	}
	if u.Rows > 0 && !math.IsInf(oldest, 0) {
		u.Oldest = time.Unix(int64(oldest), 0).UTC()
	}
	if u.Rows > 0 && !math.IsInf(newest, 0) {
		u.Newest = time.Unix(int64(newest), 0).UTC()
	}
	return u, nil
}

// usageMetrics are the metrics Usage reads; values of one name are summed
// over their labels.
var usageMetrics = map[string]bool{
	"vl_data_size_bytes": true, "vl_storage_rows": true, "vl_partitions": true,
	"vl_max_disk_space_usage_bytes": true, "vl_storage_is_read_only": true,
	"vl_storage_log_min_timestamp_seconds": true, "vl_storage_log_max_timestamp_seconds": true,
}

// metrics reads the usage metrics of a server.
func (s *Store) metrics(ctx context.Context, base string) (map[string]float64, error) {
	v := url.Values{}
	s.authKey(v, s.opts.AuthKeys.Metrics)
	body, err := s.do(ctx, http.MethodGet, base, "/metrics", v, nil, nil)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	return parseMetrics(body)
}

// parseMetrics parses the Prometheus text format, keeping usageMetrics.
func parseMetrics(r interface{ Read([]byte) (int, error) }) (map[string]float64, error) {
	m := make(map[string]float64)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, _ := strings.Cut(line, " ")
		if i := strings.IndexByte(name, '{'); i >= 0 {
			// Labels may hold spaces: the value is after the closing brace.
			j := strings.LastIndexByte(line, '}')
			if j < 0 {
				continue
			}
			name, rest = line[:i], line[j+1:]
		}
		if !usageMetrics[name] {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		f, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			continue
		}
		m[name] += f
	}
	return m, sc.Err()
}
