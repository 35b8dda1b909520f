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
	// Incident configures incident cases and their evidence.
	Incident Incident `yaml:"incident"`
	// Ingest configures the telemetry listeners and the spool.
	Ingest Ingest `yaml:"ingest"`
	// Events configures the event store.
	Events Events `yaml:"events"`
	// Detect configures real-time Sigma detection.
	Detect Detect `yaml:"detect"`
	// Intel configures the threat-intelligence feeds.
	Intel Intel `yaml:"intel"`
	// Vuln configures the scheduled fetching of vulnerability advisories.
	Vuln Vuln `yaml:"vuln"`
}

// Vuln configures the scheduled fetching of vulnerability advisories
// (docs/vulnerabilities.md). Off by default: air-gapped sites import the
// same sources as files.
type Vuln struct {
	// SLAFile is the organisation's SLA matrix.
	SLAFile string `yaml:"sla_file" doc:"YAML file of the organisation's time to fix vulnerability findings, in days by severity and security level (the format of internal/vuln/rules/sla.yaml; Khiên's defaults when empty); checked at start-up"`
	// FetchInterval is how often the feeds are fetched.
	FetchInterval Duration `yaml:"fetch_interval" doc:"how often the advisory feeds (OSV, CISA KEV, NVD, EPSS) are fetched over the Internet; 0 (the default) turns fetching off — air-gapped sites import the same files on the vulnerabilities page"`
	// OSVURL is the OSV bucket.
	OSVURL string `yaml:"osv_url" doc:"base URL of the OSV data bucket; empty turns the OSV feeds off"`
	// OSVEcosystems are the OSV ecosystems fetched.
	OSVEcosystems string `yaml:"osv_ecosystems" doc:"OSV ecosystems to fetch, separated by commas, named as in the bucket's ecosystems.txt (Debian, Ubuntu, Alpine, Red Hat, Rocky Linux, AlmaLinux, npm, PyPI, Maven, Go, NuGet, RubyGems, crates.io); the first fetch of each is its all.zip, later ones only what changed"`
	// KEVURL is CISA's KEV catalogue.
	KEVURL string `yaml:"kev_url" doc:"URL of CISA's known exploited vulnerabilities catalogue (JSON); empty turns the KEV feed off"`
	// NVDURL is the NVD CVE API 2.0.
	NVDURL string `yaml:"nvd_url" doc:"URL of the NVD CVE API 2.0; the first fetch brings the last 120 days (load older CVEs as files), later ones what was modified since; empty turns the NVD feed off"`
	// NVDAPIKey raises NVD's rate limit.
	NVDAPIKey Secret `yaml:"nvd_api_key" doc:"NVD API key (optional: raises the rate limit from one request every 6 s to one every 0.6 s)"`
	// CSAFURLs are CSAF providers' directories.
	CSAFURLs string `yaml:"csaf_urls" doc:"directory URLs of CSAF 2.0 providers (directory-based distribution with changes.csv, e.g. https://security.access.redhat.com/data/csaf/v2/advisories/), separated by commas; the first fetch brings the last 90 days, later ones what changed"`
	// EPSSURL is FIRST's current EPSS scores file.
	EPSSURL string `yaml:"epss_url" doc:"URL of FIRST's current EPSS scores file (.csv.gz); empty turns the EPSS feed off"`
}

// Intel configures the threat-intelligence feeds (docs/intel.md).
type Intel struct {
	// FeedLocalAddresses lets feeds connect to loopback and link-local
	// addresses.
	FeedLocalAddresses bool `yaml:"feed_local_addresses" doc:"let TAXII and MISP feeds connect to loopback (127.0.0.0/8, ::1), link-local (169.254.0.0/16, fe80::/10: cloud metadata services), unspecified and multicast addresses; off, a pull that would is refused (feeds are added by analysts: the server must not be their way into its own host)"`
}

// Detect configures the Sigma rules every ingested event is matched
// against (docs/detection.md).
type Detect struct {
	// BuiltinRules enables Khiên's own rule pack.
	BuiltinRules bool `yaml:"builtin_rules" doc:"match ingested events against Khiên's built-in ransomware rule pack"`
	// RulesDirs are more rule directories.
	RulesDirs string `yaml:"rules_dirs" doc:"directories of Sigma rules (*.yml, searched recursively) matched against ingested events as well, separated by commas (check them with khien rules validate DIR)"`
	// AlertWindow groups matches into alerts.
	AlertWindow Duration `yaml:"alert_window" doc:"a match joins the open alert of its rule and key fields (host, user, source address) when that alert's last event is at most this old; otherwise it raises a new alert"`
}

// Ingest configures the telemetry listeners (each off while its address is
// empty) and the durable spool in front of the event store.
type Ingest struct {
	// SyslogUDP is the address of the syslog UDP listener.
	SyslogUDP string `yaml:"syslog_udp" doc:"syslog over UDP listen address, host:port (e.g. :514); empty disables it"`
	// SyslogTCP is the address of the syslog TCP listener.
	SyslogTCP string `yaml:"syslog_tcp" doc:"syslog over TCP listen address (newline or octet-counted framing); empty disables it"`
	// SyslogTLS is the address of the syslog TLS listener.
	SyslogTLS string `yaml:"syslog_tls" doc:"syslog over TLS listen address (RFC 5425, e.g. :6514), with the web certificate unless ingest.tls_cert_file is set; empty disables it"`
	// SyslogTimeZone is the zone of RFC 3164 timestamps.
	SyslogTimeZone string `yaml:"syslog_time_zone" doc:"time zone of RFC 3164 timestamps, which carry none (IANA name)"`
	// SyslogTimeZones gives other zones to some senders.
	SyslogTimeZones string `yaml:"syslog_time_zones" doc:"per-sender time zones of RFC 3164 timestamps, as address-or-CIDR=Zone pairs separated by commas (e.g. 10.8.0.0/16=Asia/Bangkok)"`
	// HTTP is the address of the HTTP receivers.
	HTTP string `yaml:"http" doc:"listen address of the HTTP receivers — Elasticsearch _bulk emulation at /, Splunk HEC at /services/collector, OTLP/HTTP at /v1/logs, JSON lines at /ingest/jsonl (e.g. :9200); empty disables them"`
	// JSONLinesTCP is the address of the JSON lines TCP listener.
	JSONLinesTCP string `yaml:"jsonl_tcp" doc:"JSON lines over TCP listen address; empty disables it"`
	// Tokens authenticate HTTP senders.
	Tokens Secret `yaml:"tokens" doc:"ingest tokens of the HTTP receivers, as name=token pairs separated by commas (name@UNITCODE=token puts the sender's events in that unit); a sender presents the token as HEC token, Bearer token, API key or Basic password"`
	// TLSCertFile and TLSKeyFile give the ingest listeners their own certificate.
	TLSCertFile string `yaml:"tls_cert_file" doc:"PEM certificate of the syslog TLS listener and the HTTP receivers (default: the web certificate)"`
	// TLSKeyFile is the key of TLSCertFile.
	TLSKeyFile string `yaml:"tls_key_file" doc:"PEM private key of ingest.tls_cert_file"`
	// SyslogTLSClientCA makes the syslog TLS listener require client certificates.
	SyslogTLSClientCA string `yaml:"syslog_tls_client_ca" doc:"PEM file of the CA(s) whose client certificates the syslog TLS listener requires (mutual TLS: each sender authenticates with its own certificate); empty accepts any client"`
	// InsecureHTTP serves the HTTP receivers without TLS.
	InsecureHTTP bool `yaml:"insecure_http" doc:"serve the HTTP receivers over plain HTTP (tokens then cross the network in clear)"`
	// SpoolMaxMB bounds the spool's backlog.
	SpoolMaxMB int `yaml:"spool_max_mb" doc:"spool backlog (data_dir/spool) at which senders are slowed down until the event store catches up, in MiB"`
	// FlushInterval is how often stored events are made durable and the spool released.
	FlushInterval Duration `yaml:"flush_interval" doc:"how often the event store writes what it holds to disk and the spool is released past it (events are searchable within seconds regardless); longer ingests faster, and a crash replays at most this much from the spool"`
	// SilentAfter is when a source that stopped sending is reported.
	SilentAfter Duration `yaml:"silent_after" doc:"a source that used to send and has been silent this long raises a silent-source notification"`
}

// Events configures the event store.
type Events struct {
	// Store selects the engine: embedded or remote.
	Store string `yaml:"store" doc:"event store: embedded (VictoriaLogs in the process, data_dir/events) or remote (a VictoriaLogs server or cluster over HTTP)"`
	// URL is the remote server.
	URL string `yaml:"url" doc:"base URL of the remote VictoriaLogs server (vlselect/vlinsert of a cluster); required when store is remote"`
	// Username and Password authenticate to the remote server.
	Username string `yaml:"username" doc:"user name for the remote server (HTTP Basic), if it asks for one"`
	// Password is the remote server's password.
	Password Secret `yaml:"password" doc:"password for the remote server (HTTP Basic)"`
	// RetentionDays is how long events are kept.
	RetentionDays int `yaml:"retention_days" doc:"days events are kept (embedded store; a remote server keeps its own -retentionPeriod)"`
	// MaxDiskMB bounds the embedded store's size.
	MaxDiskMB int `yaml:"max_disk_mb" doc:"disk budget of the embedded store in MiB: the oldest days are deleted beyond it (0: no limit)"`
	// MemoryMB sizes the embedded engine's caches.
	MemoryMB int `yaml:"memory_mb" doc:"memory the embedded engine sizes its caches and query limits from, in MiB"`
	// QueryTimeout bounds a hunt.
	QueryTimeout Duration `yaml:"query_timeout" doc:"longest time a hunt query may run"`
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

// Incident configures incident cases and their evidence store.
type Incident struct {
	// EvidenceMaxMB is the size limit of one evidence item.
	EvidenceMaxMB int `yaml:"evidence_max_mb" doc:"largest incident evidence item accepted (a disk or memory image, a log extract), in MiB (kept in data_dir/incident-evidence, named by SHA-256)"`
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
		Incident: Incident{EvidenceMaxMB: 4096},
		Ingest: Ingest{
			SyslogTimeZone: "Asia/Ho_Chi_Minh",
			SpoolMaxMB:     1024,
			FlushInterval:  Duration(30 * time.Second),
			SilentAfter:    Duration(30 * time.Minute),
		},
		Events: Events{
			Store:         EventsEmbedded,
			RetentionDays: 90,
			MemoryMB:      512,
			QueryTimeout:  Duration(30 * time.Second),
		},
		Detect: Detect{BuiltinRules: true, AlertWindow: Duration(time.Hour)},
		Vuln: Vuln{
			OSVURL:  "https://osv-vulnerabilities.storage.googleapis.com",
			KEVURL:  "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json",
			NVDURL:  "https://services.nvd.nist.gov/rest/json/cves/2.0",
			EPSSURL: "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz",
		},
	}
}

// Database drivers accepted in Database.Driver.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Event stores accepted in Events.Store.
const (
	EventsEmbedded = "embedded"
	EventsRemote   = "remote"
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
