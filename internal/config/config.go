package config

import (
	"path/filepath"
	"time"

	"github.com/goccy/go-yaml"
)

// Config is the complete configuration of the khien binary.
//
// Every leaf field carries three struct tags: yaml (its key in the file,
// from which the KHIEN_* environment variable is derived), doc (its
// one-line description in [Reference] and docs/configuration.md) and,
// for the few options that have one, flag (its command-line flag).
type Config struct {
	// Listen is the HTTP(S) listen address, host:port.
	Listen string `yaml:"listen" flag:"listen" doc:"HTTP(S) listen address, host:port; an empty host listens on every interface"`
	// DataDir is the directory holding the SQLite database, the event
	// store, the spool and the self-signed TLS certificate.
	DataDir string `yaml:"data_dir" flag:"data" doc:"data directory (SQLite database, event store, spool, generated TLS certificate)"`
	// Database selects and configures the relational state store.
	Database Database `yaml:"database"`
	// TLS configures HTTPS for the web listener.
	TLS TLS `yaml:"tls"`
	// Log configures the process log.
	Log Log `yaml:"log"`
	// Auth configures sessions and login lockout.
	Auth Auth `yaml:"auth"`
	// HTTP holds the limits of the HTTP server.
	HTTP HTTP `yaml:"http"`
	// Regulation configures the regulation packs.
	Regulation Regulation `yaml:"regulation"`
	// Compliance configures requirement sets, evidence and the calendar.
	Compliance Compliance `yaml:"compliance"`
}

// Compliance configures requirement sets, evidence and the obligations calendar.
type Compliance struct {
	// EvidenceMaxMB is the size limit of one evidence file.
	EvidenceMaxMB int `yaml:"evidence_max_mb" doc:"largest evidence file accepted, in MiB (files are kept in data_dir/evidence, named by SHA-256)"`
	// Intervals overrides the recurrence of calendar obligations.
	Intervals string `yaml:"intervals" doc:"the organisation's own intervals for recurring obligations of the regulation pack, as id=months pairs separated by commas (e.g. vuln_scan=3,inspection_l3=12)"`
	// ProbeInterval is how often the automatic evidence probes run for every system.
	ProbeInterval Duration `yaml:"probe_interval" doc:"how often the automatic evidence probes run for every system (0 disables the schedule; probes still run on demand)"`
}

// Regulation configures the regulation packs (versioned legal data).
type Regulation struct {
	// Dir holds pack files that replace embedded packs of the same id or add new ones.
	Dir string `yaml:"dir" doc:"directory of regulation pack YAML files that replace the embedded packs of the same id, or add packs (checked with khien regulation validate DIR)"`
	// Deadlines sets the organisation's own dates for editable pack deadlines.
	Deadlines string `yaml:"deadlines" doc:"the organisation's own dates for editable deadlines of the regulation pack, as id=YYYY-MM-DD pairs separated by commas (e.g. level_approval_operating_systems=2024-10-31)"`
}

// Database selects and configures the relational state store.
type Database struct {
	// Driver is "sqlite" (a file in the data directory, see
	// [Config.DatabasePath]) or "postgres".
	Driver string `yaml:"driver" doc:"state store: sqlite (file khien.db in data_dir) or postgres"`
	// URL is the PostgreSQL connection string, required when Driver is
	// "postgres".
	URL Secret `yaml:"url" doc:"PostgreSQL connection string (URL or key=value form); required when driver is postgres"`
	// AutoMigrate lets serve apply pending schema migrations at start-up;
	// when false, serve refuses to start on an old schema.
	AutoMigrate bool `yaml:"auto_migrate" doc:"apply pending schema migrations at start-up; when false, serve refuses to start on an old schema"`
}

// TLS configures HTTPS for the web listener.
type TLS struct {
	// CertFile is a PEM certificate chain; set together with KeyFile.
	CertFile string `yaml:"cert_file" flag:"tls-cert" doc:"PEM certificate (chain) file; set together with key_file"`
	// KeyFile is the PEM private key of CertFile.
	KeyFile string `yaml:"key_file" flag:"tls-key" doc:"PEM private key file of cert_file"`
	// InsecureHTTP serves plain HTTP instead of HTTPS with a self-signed
	// certificate when no CertFile is set.
	InsecureHTTP bool `yaml:"insecure_http" flag:"insecure-http" doc:"serve plain HTTP instead of HTTPS (on a non-loopback address only behind a TLS-terminating reverse proxy)"`
}

// Log configures the process log.
type Log struct {
	// Level is the minimum level logged: debug, info, warn or error.
	Level string `yaml:"level" flag:"log-level" doc:"minimum log level: debug, info, warn or error"`
	// Format is the log line format: text or json.
	Format string `yaml:"format" doc:"log format: text or json"`
}

// Auth configures sessions and login lockout.
type Auth struct {
	// SessionTTL is the absolute lifetime of a session.
	SessionTTL Duration `yaml:"session_ttl" doc:"absolute session lifetime"`
	// SessionIdle ends a session unused for that long.
	SessionIdle Duration `yaml:"session_idle" doc:"idle timeout: a session unused for this long ends"`
	// LockoutThreshold is the number of consecutive failed logins before
	// an account is locked.
	LockoutThreshold int `yaml:"lockout_threshold" doc:"consecutive failed logins before an account is locked"`
	// LockoutBase is the first lockout; it doubles with each further
	// failure.
	LockoutBase Duration `yaml:"lockout_base" doc:"first lockout duration, doubled with each further failure"`
	// LockoutMax caps the lockout duration.
	LockoutMax Duration `yaml:"lockout_max" doc:"longest lockout duration"`
}

// HTTP holds the limits of the HTTP server, applied to its http.Server.
type HTTP struct {
	// ReadHeaderTimeout bounds reading the request headers.
	ReadHeaderTimeout Duration `yaml:"read_header_timeout" doc:"time allowed to read request headers"`
	// ReadTimeout bounds reading the whole request.
	ReadTimeout Duration `yaml:"read_timeout" doc:"time allowed to read a whole request, body included"`
	// WriteTimeout bounds writing the response.
	WriteTimeout Duration `yaml:"write_timeout" doc:"time allowed to write a response"`
	// IdleTimeout bounds how long a keep-alive connection waits for the
	// next request.
	IdleTimeout Duration `yaml:"idle_timeout" doc:"how long an idle keep-alive connection is kept open"`
	// MaxHeaderBytes caps the size of request headers.
	MaxHeaderBytes int `yaml:"max_header_bytes" doc:"maximum size of request headers, in bytes"`
	// ShutdownGrace is how long in-flight requests get to finish on
	// shutdown.
	ShutdownGrace Duration `yaml:"shutdown_grace" doc:"time in-flight requests get to finish at shutdown"`
}

// Default returns the built-in configuration: complete, valid, and
// listening on loopback only.
func Default() Config {
	return Config{
		Listen:  "127.0.0.1:8080",
		DataDir: "khien-data",
		Database: Database{
			Driver:      DriverSQLite,
			AutoMigrate: true,
		},
		Log: Log{
			Level:  "info",
			Format: "text",
		},
		Auth: Auth{
			SessionTTL:       Duration(12 * time.Hour),
			SessionIdle:      Duration(time.Hour),
			LockoutThreshold: 5,
			LockoutBase:      Duration(time.Minute),
			LockoutMax:       Duration(time.Hour),
		},
		HTTP: HTTP{
			ReadHeaderTimeout: Duration(10 * time.Second),
			ReadTimeout:       Duration(60 * time.Second),
			WriteTimeout:      Duration(120 * time.Second),
			IdleTimeout:       Duration(120 * time.Second),
			MaxHeaderBytes:    1 << 20,
			ShutdownGrace:     Duration(15 * time.Second),
		},
		Compliance: Compliance{
			EvidenceMaxMB: 25,
			ProbeInterval: Duration(6 * time.Hour),
		},
	}
}

// Database drivers accepted in Database.Driver.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// DatabasePath returns the SQLite database file, khien.db in DataDir.
func (c Config) DatabasePath() string {
	return filepath.Join(c.DataDir, "khien.db")
}

// String returns the configuration as YAML, in the file format, with
// secrets masked. It is what `khien config dump` prints.
func (c Config) String() string {
	b, err := yaml.MarshalWithOptions(c, yaml.Indent(2))
	if err != nil {
		// Unreachable: every field is a string, bool, int or a type of
		// this package with a MarshalYAML method that cannot fail.
		return "# config: " + err.Error() + "\n"
	}
	return string(b)
}
