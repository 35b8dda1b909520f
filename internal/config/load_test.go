package config_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/config"
)

// env returns a LookupEnv over m.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// problems splits a joined error into its messages.
func problems(err error) []string {
	if err == nil {
		return nil
	}
	var out []string
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, problems(e)...)
		}
		return out
	}
	return []string{err.Error()}
}

// wantProblems checks that err holds exactly len(want) problems and that
// each wanted substring is found in a different one.
func wantProblems(t *testing.T, err error, want []string) {
	t.Helper()
	got := problems(err)
	if len(got) != len(want) {
		t.Errorf("got %d problems, want %d:\n  %s", len(got), len(want), strings.Join(got, "\n  "))
	}
	left := slices.Clone(got)
	for _, w := range want {
		i := slices.IndexFunc(left, func(p string) bool { return strings.Contains(p, w) })
		if i < 0 {
			t.Errorf("no problem contains %q; got:\n  %s", w, strings.Join(got, "\n  "))
			continue
		}
		left = slices.Delete(left, i, i+1)
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func parseFlags(t *testing.T, args ...string) *config.Flags {
	t.Helper()
	fs := flag.NewFlagSet("khien", flag.ContinueOnError)
	fl := config.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse flags %q: %v", args, err)
	}
	return fl
}

func TestDefault_valid(t *testing.T) {
	if err := config.Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	cfg, err := config.Load(config.Sources{})
	if err != nil {
		t.Fatalf("Load(no sources) = %v", err)
	}
	if cfg != config.Default() {
		t.Errorf("Load(no sources) =\n%s\nwant Default() =\n%s", cfg, config.Default())
	}
}

func TestLoad_precedence(t *testing.T) {
	file := writeFile(t, "khien.yaml", "listen: \"127.0.0.2:2\"\ndata_dir: /from/file\nlog:\n  level: warn\n")
	tests := []struct {
		name        string
		file        bool
		env         map[string]string
		flags       []string
		wantListen  string
		wantDataDir string
		wantLevel   string
	}{
		{
			name:       "default",
			wantListen: "127.0.0.1:8080", wantDataDir: "khien-data", wantLevel: "info",
		},
		{
			name: "file_over_default", file: true,
			wantListen: "127.0.0.2:2", wantDataDir: "/from/file", wantLevel: "warn",
		},
		{
			name: "env_over_file", file: true,
			env:        map[string]string{"KHIEN_LISTEN": "127.0.0.3:3", "KHIEN_DATA_DIR": "/from/env"},
			wantListen: "127.0.0.3:3", wantDataDir: "/from/env", wantLevel: "warn",
		},
		{
			name:       "env_over_default",
			env:        map[string]string{"KHIEN_LOG_LEVEL": "error"},
			wantListen: "127.0.0.1:8080", wantDataDir: "khien-data", wantLevel: "error",
		},
		{
			name: "flag_over_env", file: true,
			env:        map[string]string{"KHIEN_LISTEN": "127.0.0.3:3", "KHIEN_DATA_DIR": "/from/env", "KHIEN_LOG_LEVEL": "error"},
			flags:      []string{"--listen", "127.0.0.4:4", "--data=/from/flag", "--log-level", "debug"},
			wantListen: "127.0.0.4:4", wantDataDir: "/from/flag", wantLevel: "debug",
		},
		{
			name: "unset_flag_keeps_env", file: true,
			env:        map[string]string{"KHIEN_LISTEN": "127.0.0.3:3"},
			flags:      []string{"--data", "/from/flag"},
			wantListen: "127.0.0.3:3", wantDataDir: "/from/flag", wantLevel: "warn",
		},
		{
			name:       "flag_set_to_default_still_wins",
			env:        map[string]string{"KHIEN_LISTEN": "127.0.0.3:3"},
			flags:      []string{"--listen=127.0.0.1:8080"},
			wantListen: "127.0.0.1:8080", wantDataDir: "khien-data", wantLevel: "info",
		},
		{
			name:       "config_file_from_env",
			env:        map[string]string{"KHIEN_CONFIG": file},
			wantListen: "127.0.0.2:2", wantDataDir: "/from/file", wantLevel: "warn",
		},
		{
			name:       "config_file_from_flag",
			flags:      []string{"--config", file},
			wantListen: "127.0.0.2:2", wantDataDir: "/from/file", wantLevel: "warn",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := config.Sources{LookupEnv: env(tt.env), Flags: parseFlags(t, tt.flags...)}
			if tt.file {
				src.File = file
			}
			cfg, err := config.Load(src)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if cfg.Listen != tt.wantListen || cfg.DataDir != tt.wantDataDir || cfg.Log.Level != tt.wantLevel {
				t.Errorf("listen, data_dir, log.level = %q, %q, %q; want %q, %q, %q",
					cfg.Listen, cfg.DataDir, cfg.Log.Level, tt.wantListen, tt.wantDataDir, tt.wantLevel)
			}
		})
	}
}

func TestLoad_goodFiles(t *testing.T) {
	tests := map[string]func(c *config.Config){
		"empty.good.yaml": func(*config.Config) {},
		"minimal.good.yaml": func(c *config.Config) {
			c.Listen = "0.0.0.0:8443"
		},
		"nulls.good.yaml": func(c *config.Config) {
			c.Auth.SessionIdle = config.Duration(15 * time.Minute)
			c.Auth.LockoutBase = config.Duration(15 * time.Minute)
		},
		"full.good.yaml": func(c *config.Config) {
			*c = config.Config{
				Listen:  "[::1]:9443",
				DataDir: "/var/lib/khien",
				Database: config.Database{
					Driver:      "postgres",
					URL:         "postgres://khien:hunter2@db.internal:5432/khien?sslmode=verify-full",
					AutoMigrate: false,
				},
				TLS: config.TLS{CertFile: "/etc/khien/tls.crt", KeyFile: "/etc/khien/tls.key"},
				Log: config.Log{Level: "debug", Format: "json"},
				Auth: config.Auth{
					SessionTTL:       config.Duration(8 * time.Hour),
					SessionIdle:      config.Duration(30 * time.Minute),
					LockoutThreshold: 3,
					LockoutBase:      config.Duration(30 * time.Second),
					LockoutMax:       config.Duration(2 * time.Hour),
				},
				HTTP: config.HTTP{
					ReadHeaderTimeout: config.Duration(5 * time.Second),
					ReadTimeout:       config.Duration(30 * time.Second),
					WriteTimeout:      config.Duration(90 * time.Second),
					IdleTimeout:       config.Duration(90 * time.Second),
					MaxHeaderBytes:    65536,
					ShutdownGrace:     config.Duration(20 * time.Second),
				},
				Regulation: config.Regulation{Dir: "/etc/khien/packs", Deadlines: "level_approval_operating_systems=2024-10-31"},
				Compliance: config.Compliance{EvidenceMaxMB: 50, Intervals: "vuln_scan=3,inspection_l3=12", ProbeInterval: config.Duration(time.Hour)},
				Incident:   config.Incident{EvidenceMaxMB: 8192},
				Ingest: config.Ingest{SyslogUDP: ":514", SyslogTCP: ":601", SyslogTLS: ":6514", SyslogTimeZone: "Asia/Bangkok",
					SyslogTimeZones: "10.8.0.0/16=UTC", HTTP: ":9200", JSONLinesTCP: ":5170", Tokens: "winlogbeat=0123456789abcdef0123",
					TLSCertFile: "/etc/khien/ingest.crt", TLSKeyFile: "/etc/khien/ingest.key", SyslogTLSClientCA: "/etc/khien/senders-ca.pem", InsecureHTTP: true,
					SpoolMaxMB: 2048, FlushInterval: config.Duration(time.Second), SilentAfter: config.Duration(time.Hour)},
				Events: config.Events{Store: "remote", URL: "https://vlogs.internal:9428", Username: "khien", Password: "s3cret-remote",
					RetentionDays: 365, MaxDiskMB: 500000, MemoryMB: 1024, QueryTimeout: config.Duration(time.Minute)},
				Detect: config.Detect{BuiltinRules: false, RulesDirs: "/etc/khien/rules, /srv/sigma/rules", AlertWindow: config.Duration(2 * time.Hour)},
				Intel:  config.Intel{FeedLocalAddresses: true},
				Vuln: config.Vuln{SLAFile: "/etc/khien/sla.yaml", FetchInterval: config.Duration(12 * time.Hour), OSVURL: "https://osv.mirror.internal",
					OSVEcosystems: "Debian, npm", KEVURL: "https://mirror.internal/kev.json", NVDURL: "https://mirror.internal/nvd/cves/2.0",
					NVDAPIKey: "00000000-1111-2222-3333-444444444444", EPSSURL: "https://mirror.internal/epss.csv.gz",
					CSAFURLs: "https://mirror.internal/csaf/redhat/, https://mirror.internal/csaf/suse/"},
			}
		},
	}
	checkTableCoversTestdata(t, "*.good.yaml", tests)
	for name, edit := range tests {
		t.Run(strings.TrimSuffix(name, ".good.yaml"), func(t *testing.T) {
			cfg, err := config.Load(config.Sources{File: filepath.Join("testdata", name)})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := config.Default()
			edit(&want)
			if cfg != want {
				t.Errorf("Load =\n%s\nwant\n%s", cfg, want)
			}
		})
	}
}

func TestLoad_fullFileSetsEveryOption(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "full.good.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.Sources{File: filepath.Join("testdata", "full.good.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	dump := cfg.String()
	for _, o := range config.Reference() {
		leaf := o.Key[strings.LastIndex(o.Key, ".")+1:]
		if !strings.Contains(string(data), leaf+":") {
			t.Errorf("full.good.yaml does not set %s", o.Key)
		}
		if !strings.Contains(dump, leaf+":") {
			t.Errorf("String() does not show %s", o.Key)
		}
	}
}

func TestLoad_badFiles(t *testing.T) {
	tests := map[string][]string{
		"unknown_keys.bad.yaml": {
			`unknown_keys.bad.yaml:3:1: unknown key "lissen" (did you mean "listen"?)`,
			`:4:1: unknown key "databse" (did you mean "database"?)`,
			`:7:3: unknown key "auth.session_tl" (did you mean "auth.session_ttl"?)`,
			`:11:3: unknown key "http.gzip"`,
		},
		"values.bad.yaml": {
			`listen (set by testdata/values.bad.yaml:2:9): "localhost" is not host:port`,
			`database.driver (set by testdata/values.bad.yaml:4:11): "mysql" is not one of "sqlite", "postgres"`,
			`:5:17: database.auto_migrate: invalid boolean "yes"`,
			`log.level (set by testdata/values.bad.yaml:7:10): "verbose" is not one of debug, info, warn, error`,
			`log.format (set by testdata/values.bad.yaml:8:11): "xml" is not one of text, json`,
			`:10:16: auth.session_ttl: invalid duration "12"`,
			`auth.lockout_threshold (set by testdata/values.bad.yaml:11:22): must be at least 1, got -1`,
			`auth.lockout_base (set by testdata/values.bad.yaml:12:17): must be a positive duration, got 0s`,
			`:14:21: http.max_header_bytes: invalid integer "lots"`,
			`http.shutdown_grace (set by testdata/values.bad.yaml:15:19): must be a positive duration, got -5s`,
		},
		"shapes.bad.yaml": {
			`:3:6: tls: want a mapping of keys (cert_file, key_file, insecure_http), got a string`,
			`:5:10: log.level: want a single value, got a list`,
			`:8:10: auth.session_ttl: want a single value, got a mapping`,
			`:10:3: http: merge keys (<<) are not supported`,
		},
		"syntax.bad.yaml": {
			`syntax.bad.yaml:1:9: could not find end character of double-quoted text`,
		},
		"postgres.bad.yaml": {
			`database.url: is required when database.driver is "postgres"`,
			`tls.key_file: is required when tls.cert_file is set`,
			`tls.insecure_http (set by testdata/postgres.bad.yaml:6:18): contradicts tls.cert_file`,
			`auth.session_idle (set by testdata/postgres.bad.yaml:9:17): 2h exceeds auth.session_ttl 1h`,
			`auth.lockout_base (set by testdata/postgres.bad.yaml:10:17): 2h exceeds auth.lockout_max 1h`,
		},
		"documents.bad.yaml": {
			`documents.bad.yaml:3:7: the file holds 2 YAML documents; want one`,
		},
		"duplicate.bad.yaml": {
			`duplicate.bad.yaml:2:1: mapping key "listen" already defined`,
		},
		"secret.bad.yaml": {
			`database.url (set by testdata/secret.bad.yaml:3:8): is set but database.driver is "sqlite"`,
		},
	}
	checkTableCoversTestdata(t, "*.bad.yaml", tests)
	for name, want := range tests {
		t.Run(strings.TrimSuffix(name, ".bad.yaml"), func(t *testing.T) {
			_, err := config.Load(config.Sources{File: filepath.Join("testdata", name)})
			if err == nil {
				t.Fatal("Load succeeded, want errors")
			}
			wantProblems(t, err, want)
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error reveals a secret: %v", err)
			}
		})
	}
}

// checkTableCoversTestdata fails when a testdata file matching pattern has
// no case in the table, so a fixture cannot be silently skipped.
func checkTableCoversTestdata[V any](t *testing.T, pattern string, table map[string]V) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, ok := table[filepath.Base(f)]; !ok {
			t.Errorf("%s has no case in the table", f)
		}
	}
	if len(files) != len(table) {
		t.Errorf("table has %d cases for %d files matching %s", len(table), len(files), pattern)
	}
}

func TestLoad_badSources(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "url")
	if err := os.WriteFile(secretFile, []byte("postgres://db/khien\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		file  string
		env   map[string]string
		flags []string
		want  []string
	}{
		{
			name: "env_values",
			env: map[string]string{
				"KHIEN_AUTH_SESSION_TTL":       "forever",
				"KHIEN_DATABASE_AUTO_MIGRATE":  "yes",
				"KHIEN_AUTH_LOCKOUT_THRESHOLD": "five",
				"KHIEN_LOG_FORMAT":             "xml",
			},
			want: []string{
				`KHIEN_AUTH_SESSION_TTL (auth.session_ttl): invalid duration "forever"`,
				`KHIEN_DATABASE_AUTO_MIGRATE (database.auto_migrate): invalid boolean "yes"`,
				`KHIEN_AUTH_LOCKOUT_THRESHOLD (auth.lockout_threshold): invalid integer "five"`,
				`log.format (set by KHIEN_LOG_FORMAT): "xml" is not one of text, json`,
			},
		},
		{
			name: "env_and_file_both_set",
			env: map[string]string{
				"KHIEN_DATABASE_DRIVER":   "postgres",
				"KHIEN_DATABASE_URL":      "postgres://db/khien",
				"KHIEN_DATABASE_URL_FILE": secretFile,
			},
			want: []string{
				"KHIEN_DATABASE_URL and KHIEN_DATABASE_URL_FILE are both set",
				`database.url: is required when database.driver is "postgres"`,
			},
		},
		{
			name: "missing_secret_file",
			env: map[string]string{
				"KHIEN_DATABASE_DRIVER":   "postgres",
				"KHIEN_DATABASE_URL_FILE": filepath.Join(dir, "absent"),
			},
			want: []string{
				"KHIEN_DATABASE_URL_FILE (database.url): open " + filepath.Join(dir, "absent"),
				`database.url: is required when database.driver is "postgres"`,
			},
		},
		{
			name:  "flag_values",
			flags: []string{"--insecure-http=maybe", "--listen", "nowhere", "--log-level", "loud"},
			want: []string{
				`flag --insecure-http (tls.insecure_http): invalid boolean "maybe"`,
				`listen (set by --listen): "nowhere" is not host:port`,
				`log.level (set by --log-level): "loud" is not one of`,
			},
		},
		{
			name: "every_source_at_once",
			file: "values.bad.yaml",
			env: map[string]string{
				"KHIEN_HTTP_READ_TIMEOUT": "soon",
				"KHIEN_LISTEN":            "127.0.0.1:8080", // fixes the file's listen
			},
			flags: []string{"--tls-key", "/k.pem"},
			want: []string{
				`values.bad.yaml:4:11`, // database.driver
				`database.auto_migrate: invalid boolean "yes"`,
				`log.level (set by`,
				`log.format (set by`,
				`auth.session_ttl: invalid duration "12"`,
				`auth.lockout_threshold (set by`,
				`auth.lockout_base (set by`,
				`http.max_header_bytes: invalid integer "lots"`,
				`http.shutdown_grace (set by`,
				`KHIEN_HTTP_READ_TIMEOUT (http.read_timeout): invalid duration "soon"`,
				`tls.cert_file: is required when tls.key_file is set`,
			},
		},
		{
			name: "missing_config_file",
			file: "absent.yaml",
			want: []string{"config file: open testdata/absent.yaml: no such file or directory"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := config.Sources{LookupEnv: env(tt.env), Flags: parseFlags(t, tt.flags...)}
			if tt.file != "" {
				src.File = filepath.Join("testdata", tt.file)
			}
			_, err := config.Load(src)
			wantProblems(t, err, tt.want)
		})
	}
}

func TestLoad_envFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		env  map[string]string
		want func(c *config.Config)
	}{
		{
			name: "secret_trailing_newline_trimmed",
			env: map[string]string{
				"KHIEN_DATABASE_DRIVER":   "postgres",
				"KHIEN_DATABASE_URL_FILE": write("url", "postgres://khien:s3cret@db/khien\n"),
			},
			want: func(c *config.Config) {
				c.Database.Driver = "postgres"
				c.Database.URL = "postgres://khien:s3cret@db/khien"
			},
		},
		{
			name: "crlf_trimmed",
			env: map[string]string{
				"KHIEN_DATABASE_DRIVER":   "postgres",
				"KHIEN_DATABASE_URL_FILE": write("url-crlf", "host=db password=x\r\n"),
			},
			want: func(c *config.Config) {
				c.Database.Driver = "postgres"
				c.Database.URL = "host=db password=x"
			},
		},
		{
			name: "any_key_accepts_file",
			env: map[string]string{
				"KHIEN_LISTEN_FILE":                 write("listen", "127.0.0.1:9000\n"),
				"KHIEN_AUTH_LOCKOUT_THRESHOLD_FILE": write("threshold", "7\n"),
			},
			want: func(c *config.Config) {
				c.Listen = "127.0.0.1:9000"
				c.Auth.LockoutThreshold = 7
			},
		},
		{
			name: "booleans",
			env: map[string]string{
				"KHIEN_DATABASE_AUTO_MIGRATE": "0",
				"KHIEN_TLS_INSECURE_HTTP":     "TRUE",
			},
			want: func(c *config.Config) {
				c.Database.AutoMigrate = false
				c.TLS.InsecureHTTP = true
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Load(config.Sources{LookupEnv: env(tt.env)})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := config.Default()
			tt.want(&want)
			if cfg != want {
				t.Errorf("Load =\n%s\nwant\n%s", cfg, want)
			}
			if cfg.Database.URL != want.Database.URL {
				t.Errorf("database.url = %q, want %q", cfg.Database.URL.Reveal(), want.Database.URL.Reveal())
			}
		})
	}
}

func TestLoad_joinedErrorsAreInspectable(t *testing.T) {
	_, err := config.Load(config.Sources{File: filepath.Join("testdata", "values.bad.yaml")})
	var j interface{ Unwrap() []error }
	if !errors.As(err, &j) {
		t.Fatalf("Load error %T does not unwrap to a list", err)
	}
	if n := len(j.Unwrap()); n < 2 {
		t.Errorf("got %d problems, want several", n)
	}
}
