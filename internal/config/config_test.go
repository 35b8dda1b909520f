package config_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/config"
)

var update = flag.Bool("update", false, "rewrite the option table in docs/configuration.md")

const (
	docPath    = "../../docs/configuration.md"
	readmePath = "../../README.md"
)

func TestSecret_masked(t *testing.T) {
	const secret = "postgres://khien:hunter2@db/khien"
	cfg := config.Default()
	cfg.Database.Driver = config.DriverPostgres
	cfg.Database.URL = secret

	jsonCfg, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var logText, logJSON bytes.Buffer
	slog.New(slog.NewTextHandler(&logText, nil)).Info("x", "url", cfg.Database.URL, "db", cfg.Database)
	slog.New(slog.NewJSONHandler(&logJSON, nil)).Info("x", "url", cfg.Database.URL, "db", cfg.Database)

	shown := map[string]string{
		"String":       cfg.String(),
		"fmt_v":        fmt.Sprintf("%v", cfg),
		"fmt_plus_v":   fmt.Sprintf("%+v", cfg.Database),
		"fmt_sharp_v":  fmt.Sprintf("%#v", cfg.Database),
		"fmt_s_secret": fmt.Sprintf("%s", cfg.Database.URL),
		"json":         string(jsonCfg),
		"slog_text":    logText.String(),
		"slog_json":    logJSON.String(),
	}
	for name, out := range shown {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(out, "hunter2") {
				t.Errorf("secret shown:\n%s", out)
			}
			if !strings.Contains(out, "********") {
				t.Errorf("no mask shown:\n%s", out)
			}
		})
	}
	if got := cfg.Database.URL.Reveal(); got != secret {
		t.Errorf("Reveal() = %q, want %q", got, secret)
	}
	if got := config.Secret("").String(); got != "" {
		t.Errorf("empty Secret String() = %q, want \"\"", got)
	}
}

func TestConfig_String(t *testing.T) {
	out := config.Default().String()
	for _, want := range []string{
		"listen: 127.0.0.1:8080\n",
		"data_dir: khien-data\n",
		"  driver: sqlite\n",
		"  session_ttl: 12h\n",
		"  max_header_bytes: 1048576\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("String() lacks %q:\n%s", want, out)
		}
	}
}

// TestConfig_String_roundTrip checks that the dump is a configuration file
// giving back the same config, whatever a string option holds.
func TestConfig_String_roundTrip(t *testing.T) {
	tests := []string{
		"", ":8080", "yes", "null", "~", "#x", "a: b", "line1\nline2", " lead", "trail ",
		"'q'", `"dq"`, "*alias", "&a", "!tag", "- x", "1", "0x10", "true", "@x", "%x",
		"{a}", "[a]", "C:\\khien\\data", "/var/lib/khiên",
	}
	for _, s := range tests {
		t.Run(fmt.Sprintf("%q", s), func(t *testing.T) {
			want := config.Default()
			want.DataDir = s
			want.TLS.CertFile = s
			path := filepath.Join(t.TempDir(), "dump.yaml")
			if err := os.WriteFile(path, []byte(want.String()), 0o600); err != nil {
				t.Fatal(err)
			}
			got, _ := config.Load(config.Sources{File: path}) // validation problems expected
			if got != want {
				t.Errorf("round trip =\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestDuration_String(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{10 * time.Second, "10s"},
		{90 * time.Second, "1m30s"},
		{time.Minute, "1m"},
		{10 * time.Minute, "10m"},
		{time.Hour, "1h"},
		{12 * time.Hour, "12h"},
		{time.Hour + 30*time.Minute, "1h30m"},
		{time.Hour + time.Second, "1h0m1s"},
		{1500 * time.Millisecond, "1.5s"},
	}
	for _, tt := range tests {
		if got := config.Duration(tt.d).String(); got != tt.want {
			t.Errorf("Duration(%v).String() = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(c *config.Config)
		want []string
	}{
		{"default", func(*config.Config) {}, nil},
		{"any_interface", func(c *config.Config) { c.Listen = ":8080" }, nil},
		{"ipv6", func(c *config.Config) { c.Listen = "[::]:0" }, nil},
		{"no_port", func(c *config.Config) { c.Listen = "127.0.0.1" }, []string{`listen: "127.0.0.1" is not host:port`}},
		{"named_port", func(c *config.Config) { c.Listen = "127.0.0.1:http" }, []string{`listen: "127.0.0.1:http": port "http" is not a number`}},
		{"port_range", func(c *config.Config) { c.Listen = "127.0.0.1:70000" }, []string{`port "70000" is not a number from 0 to 65535`}},
		{"empty_data_dir", func(c *config.Config) { c.DataDir = " " }, []string{"data_dir: must not be empty"}},
		{"postgres_ok", func(c *config.Config) { c.Database.Driver = "postgres"; c.Database.URL = "host=db" }, nil},
		{"tls_pair", func(c *config.Config) { c.TLS.CertFile, c.TLS.KeyFile = "c", "k" }, nil},
		{"insecure_http", func(c *config.Config) { c.Listen = ":80"; c.TLS.InsecureHTTP = true }, nil},
		{"ingest_ok", func(c *config.Config) {
			c.Ingest.SyslogTCP, c.Ingest.HTTP = ":601", ":9200"
			c.Ingest.Tokens = "beats@HN=0123456789abcdef, hec = fedcba9876543210"
		}, nil},
		{"remote_events", func(c *config.Config) { c.Events.Store, c.Events.URL = "remote", "http://10.0.0.5:9428" }, nil},
		{"vuln_feeds_ok", func(c *config.Config) { c.Vuln.FetchInterval, c.Vuln.OSVURL = config.Duration(24*time.Hour), "" }, nil},
		{"vuln_feeds", func(c *config.Config) {
			c.Vuln.FetchInterval, c.Vuln.KEVURL, c.Vuln.EPSSURL = config.Duration(time.Minute), "ftp://cisa.gov/kev.json", "epss.csv.gz"
			c.Vuln.CSAFURLs = "https://csaf.example/advisories/, file:///srv/csaf"
		}, []string{"vuln.fetch_interval: must be 0 (off) or at least 1h", `vuln.kev_url: "ftp://cisa.gov/kev.json" is not an http(s) URL`,
			`vuln.epss_url: "epss.csv.gz" is not an http(s) URL`, `vuln.csaf_urls: "file:///srv/csaf" is not an http(s) URL`}},
		{
			name: "ingest_and_events",
			edit: func(c *config.Config) {
				c.Ingest.SyslogUDP = "514"
				c.Ingest.HTTP = ":9200"
				c.Ingest.SyslogTimeZone = "Mars/Olympus"
				c.Ingest.SyslogTimeZones = "10.0.0.0/8=Asia/Bangkok,bad"
				c.Ingest.SpoolMaxMB = 1
				c.Events.Store = "remote"
				c.Events.RetentionDays = 0
			},
			want: []string{
				`ingest.syslog_udp: "514" is not host:port`,
				`ingest.syslog_time_zone: "Mars/Olympus" is not a known time zone`,
				`ingest.syslog_time_zones: "bad" is not address-or-CIDR=Zone`,
				"ingest.tokens: at least one token is required when ingest.http is set",
				"ingest.spool_max_mb: must be at least 16, got 1",
				`events.url: "" is not an http(s) URL`,
				"events.retention_days: must be between 1 and 36600, got 0",
			},
		},
		{
			name: "many",
			edit: func(c *config.Config) {
				c.Database.Driver = ""
				c.TLS.KeyFile = "k"
				c.Log.Level = "INFO"
				c.Auth.SessionTTL = 0
				c.Auth.LockoutThreshold = 0
				c.HTTP.ReadHeaderTimeout = -1
				c.HTTP.MaxHeaderBytes = 0
			},
			want: []string{
				`database.driver: "" is not one of "sqlite", "postgres"`,
				"tls.cert_file: is required when tls.key_file is set",
				`log.level: "INFO" is not one of debug, info, warn, error`,
				"auth.session_ttl: must be a positive duration, got 0s",
				"auth.lockout_threshold: must be at least 1, got 0",
				"http.read_header_timeout: must be a positive duration, got -1ns",
				"http.max_header_bytes: must be positive, got 0",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Default()
			tt.edit(&c)
			wantProblems(t, c.Validate(), tt.want)
		})
	}
}

func TestDatabasePath(t *testing.T) {
	c := config.Default()
	c.DataDir = "/var/lib/khien"
	if got, want := c.DatabasePath(), filepath.Join("/var/lib/khien", "khien.db"); got != want {
		t.Errorf("DatabasePath() = %q, want %q", got, want)
	}
}

func TestReference(t *testing.T) {
	opts := config.Reference()
	if len(opts) != 63 {
		t.Errorf("Reference() has %d options, want 63 (update this test when adding options)", len(opts))
	}
	envs := make(map[string]string)
	keyRE := regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$`)
	for _, o := range opts {
		if !keyRE.MatchString(o.Key) {
			t.Errorf("key %q is not lower snake_case", o.Key)
		}
		if want := "KHIEN_" + strings.ToUpper(strings.ReplaceAll(o.Key, ".", "_")); o.Env != want {
			t.Errorf("%s: Env = %q, want %q", o.Key, o.Env, want)
		}
		if o.Doc == "" {
			t.Errorf("%s has no doc tag", o.Key)
		}
		if prev, dup := envs[o.Env]; dup {
			t.Errorf("%s and %s share %s", prev, o.Key, o.Env)
		}
		envs[o.Env] = o.Key
	}
	// No variable may be mistaken for another option's _FILE variable.
	for env, key := range envs {
		if other, clash := envs[env+"_FILE"]; clash {
			t.Errorf("%s_FILE of %s is the variable of %s", env, key, other)
		}
		if env+"_FILE" == config.EnvConfigFile || env == config.EnvConfigFile {
			t.Errorf("%s clashes with %s", env, config.EnvConfigFile)
		}
	}

	want := map[string]config.Option{
		"listen":       {Key: "listen", Env: "KHIEN_LISTEN", Flag: "listen", Default: "127.0.0.1:8080"},
		"data_dir":     {Key: "data_dir", Env: "KHIEN_DATA_DIR", Flag: "data", Default: "khien-data"},
		"database.url": {Key: "database.url", Env: "KHIEN_DATABASE_URL", Default: "", Secret: true},
		"database.auto_migrate": {
			Key: "database.auto_migrate", Env: "KHIEN_DATABASE_AUTO_MIGRATE", Default: "true",
		},
		"tls.insecure_http":     {Key: "tls.insecure_http", Env: "KHIEN_TLS_INSECURE_HTTP", Flag: "insecure-http", Default: "false"},
		"log.level":             {Key: "log.level", Env: "KHIEN_LOG_LEVEL", Flag: "log-level", Default: "info"},
		"auth.session_ttl":      {Key: "auth.session_ttl", Env: "KHIEN_AUTH_SESSION_TTL", Default: "12h"},
		"http.max_header_bytes": {Key: "http.max_header_bytes", Env: "KHIEN_HTTP_MAX_HEADER_BYTES", Default: "1048576"},
	}
	for _, o := range opts {
		w, ok := want[o.Key]
		if !ok {
			continue
		}
		delete(want, o.Key)
		o.Doc = ""
		if o != w {
			t.Errorf("option %s = %+v, want %+v", o.Key, o, w)
		}
	}
	for key := range want {
		t.Errorf("option %s missing from Reference()", key)
	}
}

func TestBindFlags(t *testing.T) {
	fs := flag.NewFlagSet("khien", flag.ContinueOnError)
	fl := config.BindFlags(fs)
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	want := []string{"config", "data", "insecure-http", "listen", "log-level", "tls-cert", "tls-key"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("flags = %q, want %q", names, want)
	}
	if flag.CommandLine.Lookup("listen") != nil {
		t.Error("BindFlags touched flag.CommandLine")
	}
	if err := fs.Parse([]string{"--config", "/etc/khien.yaml", "--insecure-http"}); err != nil {
		t.Fatal(err)
	}
	if got := fl.ConfigFile(); got != "/etc/khien.yaml" {
		t.Errorf("ConfigFile() = %q", got)
	}
	cfg, err := config.Load(config.Sources{Flags: fl, File: filepath.Join("testdata", "empty.good.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.TLS.InsecureHTTP {
		t.Error("bare --insecure-http did not set tls.insecure_http")
	}
	var usage bytes.Buffer
	fs.SetOutput(&usage)
	fs.PrintDefaults()
	for _, w := range []string{"KHIEN_LISTEN", "(default 127.0.0.1:8080)", "KHIEN_CONFIG"} {
		if !strings.Contains(usage.String(), w) {
			t.Errorf("usage lacks %q:\n%s", w, usage.String())
		}
	}
}

// optionTable renders the option table of docs/configuration.md from
// Reference().
func optionTable() string {
	var b strings.Builder
	b.WriteString("| YAML key | Environment variable | Flag | Default | Description |\n")
	b.WriteString("| --- | --- | --- | --- | --- |\n")
	for _, o := range config.Reference() {
		flagName, def, doc := "", "", o.Doc
		if o.Flag != "" {
			flagName = "`--" + o.Flag + "`"
		}
		if o.Default != "" {
			def = "`" + o.Default + "`"
		}
		if o.Secret {
			doc += ". **Secret**: masked in dumps; prefer `" + o.Env + "_FILE`"
		}
		doc = strings.ReplaceAll(doc, "|", `\|`)
		fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s | %s |\n", o.Key, o.Env, flagName, def, doc)
	}
	return b.String()
}

const (
	tableBegin = "<!-- BEGIN OPTIONS: generated by `go test ./internal/config -run TestDocs -update` -->\n"
	tableEnd   = "<!-- END OPTIONS -->\n"
)

// TestDocs keeps docs/configuration.md in step with the code: the option
// table between the markers is generated (rewrite it with -update), and
// every environment variable must be mentioned.
func TestDocs(t *testing.T) {
	// The full reference is in docs/configuration.md; the README carries the same table.
	for _, docPath := range []string{docPath, readmePath} {
		t.Run(filepath.Base(docPath), func(t *testing.T) { checkDoc(t, docPath) })
	}
}

func checkDoc(t *testing.T, docPath string) {
	data, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	before, rest, ok1 := strings.Cut(doc, tableBegin)
	_, after, ok2 := strings.Cut(rest, tableEnd)
	if !ok1 || !ok2 {
		t.Fatalf("%s lacks the option table markers %q … %q", docPath, tableBegin, tableEnd)
	}
	want := before + tableBegin + optionTable() + tableEnd + after
	if *update && want != doc {
		if err := os.WriteFile(docPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		doc = want
	}
	if doc != want {
		t.Errorf("the option table in %s is stale; run go test ./internal/config -run TestDocs -update and review the diff", docPath)
	}
	for _, o := range config.Reference() {
		if !strings.Contains(doc, "`"+o.Env+"`") {
			t.Errorf("%s does not mention %s", docPath, o.Env)
		}
		if o.Flag != "" && !strings.Contains(doc, "`--"+o.Flag+"`") {
			t.Errorf("%s does not mention --%s", docPath, o.Flag)
		}
	}
	for _, w := range []string{config.EnvConfigFile, "_FILE", "`--config`"} {
		if !strings.Contains(doc, w) {
			t.Errorf("%s does not mention %s", docPath, w)
		}
	}
}

func FuzzLoadYAML(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("a: &x [*x]\nlisten: *x\n"))
	f.Add([]byte("? [a]\n: b\n"))
	f.Add([]byte("tls: !!map {cert_file: !!str 1}\n"))
	f.Add([]byte(config.Default().String()))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "khien.yaml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(config.Sources{File: path})
		if err == nil {
			if verr := cfg.Validate(); verr != nil {
				t.Fatalf("Load succeeded with an invalid config: %v", verr)
			}
			return
		}
		if err.Error() == "" {
			t.Fatal("empty error message")
		}
	})
}

func TestParseTokens(t *testing.T) {
	got, err := config.ParseTokens(" winlogbeat=0123456789abcdef , fw@HN-01 = abcdefabcdefabcdef,")
	if err != nil {
		t.Fatal(err)
	}
	want := []config.Token{{Name: "winlogbeat", Token: "0123456789abcdef"}, {Name: "fw", Unit: "HN-01", Token: "abcdefabcdefabcdef"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ParseTokens = %v, want %v", got, want)
	}
	for in, msg := range map[string]string{
		"justatoken0123456789":                   "entry 1 is not name=token",
		"a=short":                                `the token of "a" is shorter than 16 characters`,
		"a=0123456789abcdef,a=0123456789abcdefX": `name "a" appears twice`,
		"a=0123456789abcdef,b=0123456789abcdef":  `the token of "b" is also another sender's`,
		"=0123456789abcdef":                      "entry 1 is not name=token",
	} {
		_, err := config.ParseTokens(in)
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseTokens(%q) = %v, want %q", in, err, msg)
		}
		if err != nil && strings.Contains(err.Error(), "0123456789abcdef") {
			t.Errorf("ParseTokens(%q) error shows the token: %v", in, err)
		}
	}
}
