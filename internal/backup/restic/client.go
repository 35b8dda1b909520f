package restic

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"time"

	"khien.vn/khien/internal/errs"
)

// DefaultBinary is the program Client runs when Binary is empty, looked up
// in PATH.
const DefaultBinary = "restic"

// GracePeriod is how long restic has to exit (and remove its lock) after
// it was interrupted because ctx was done, before it is killed.
const GracePeriod = 10 * time.Second

// Output limits. restic's output is read into memory only up to these
// sizes; past them the process is stopped and the call fails with
// ErrOutputTooLarge.
const (
	// MaxJSONOutput bounds the output of `snapshots --json` and `backup
	// --json` (a snapshot is about 400 bytes: some 150 000 of them).
	MaxJSONOutput = 64 << 20
	// MaxLine bounds one line of `ls --json` (a node), which is streamed.
	MaxLine = 1 << 20
	// maxSmallOutput bounds short outputs: version, init, stats, forget.
	maxSmallOutput = 1 << 20
	// textHead and textTail are how much of a text output (check, restore,
	// every stderr) is kept: its beginning and its end.
	textHead = 32 << 10
	textTail = 32 << 10
)

// Repo is a restic repository and what it takes to open it. It formats
// itself without its secrets (String, GoString, LogValue).
type Repo struct {
	// Location is restic's repository string (RESTIC_REPOSITORY): a path,
	// sftp:host:/path, s3:host/bucket, rest:https://host/, b2:bucket:path….
	Location string
	// Password is the repository password (RESTIC_PASSWORD).
	Password string
	// Env holds the backend's variables, such as AWS_ACCESS_KEY_ID,
	// AWS_SECRET_ACCESS_KEY, B2_ACCOUNT_ID, B2_ACCOUNT_KEY. It may also set
	// HOME (where ssh finds its configuration for sftp:). It may not set
	// PATH nor restic's password or repository variables.
	Env map[string]string
}

// String returns "restic repository <location>", with any password in the
// location masked.
func (r Repo) String() string { return "restic repository " + maskLocation(r.Location) }

// GoString is like String: %#v does not print the secrets either.
func (r Repo) GoString() string {
	return fmt.Sprintf("restic.Repo{Location: %q, Password: %q, Env: %d variables}", maskLocation(r.Location), redacted, len(r.Env))
}

// LogValue logs the location only.
func (r Repo) LogValue() slog.Value {
	return slog.GroupValue(slog.String("location", maskLocation(r.Location)))
}

// maskLocation replaces a password in a location's URL with "***".
func maskLocation(location string) string {
	_, start, end, ok := locationPassword(location)
	if !ok {
		return location
	}
	return location[:start] + "***" + location[end:]
}

// envName is what an environment variable name may look like.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// reservedEnv are the variables Repo.Env may not set: Client sets them, or
// they would carry the password by another way than RESTIC_PASSWORD.
var reservedEnv = []string{
	"PATH", "RESTIC_PASSWORD", "RESTIC_PASSWORD_FILE", "RESTIC_PASSWORD_COMMAND",
	"RESTIC_REPOSITORY", "RESTIC_REPOSITORY_FILE",
}

// validate checks r; its errors never quote the secrets.
func (r Repo) validate() error {
	switch {
	case strings.TrimSpace(r.Location) == "":
		return fmt.Errorf("restic: empty repository location: %w", errs.ErrInvalid)
	case strings.ContainsAny(r.Location, "\x00\r\n"):
		return fmt.Errorf("restic: repository location contains a control character: %w", errs.ErrInvalid)
	case r.Password == "":
		return fmt.Errorf("restic: empty repository password: %w", errs.ErrInvalid)
	case strings.ContainsRune(r.Password, 0):
		return fmt.Errorf("restic: repository password contains a NUL byte: %w", errs.ErrInvalid)
	}
	for k, v := range r.Env {
		switch {
		case !envName.MatchString(k):
			return fmt.Errorf("restic: invalid environment variable name %q: %w", truncate(k, 64), errs.ErrInvalid)
		case slices.Contains(reservedEnv, strings.ToUpper(k)):
			return fmt.Errorf("restic: environment variable %s may not be set: %w", k, errs.ErrInvalid)
		case strings.ContainsRune(v, 0):
			return fmt.Errorf("restic: environment variable %s contains a NUL byte: %w", k, errs.ErrInvalid)
		}
	}
	return nil
}

// Client runs restic. The zero value runs "restic" from PATH with no
// timeout and no cache. A Client is safe for concurrent use.
type Client struct {
	// Binary is the restic program: a name looked up in PATH or a path
	// (default DefaultBinary).
	Binary string
	// Timeout bounds each restic run; zero means no bound beyond ctx.
	Timeout time.Duration
	// CacheDir is restic's HOME and XDG_CACHE_HOME (its cache goes to
	// CacheDir/restic, ssh looks in CacheDir/.ssh); empty runs restic with
	// --no-cache and without HOME.
	CacheDir string
	// NoLock runs the commands that only read (Snapshots, Stats, Ls,
	// Dump, Restore, Check) with --no-lock, which lets Khiên watch a
	// repository with read-only credentials (recommended: Khiên's access
	// should not let an attacker who takes Khiên delete backups) and saves
	// a lock write per run. The price: restic cannot notice a prune running
	// at the same time, which may then make a check report missing packs.
	NoLock bool
	// Logger receives one Debug record per run (command, duration, exit
	// status; never arguments or secrets); nil discards.
	Logger *slog.Logger
}

func (c *Client) binary() string {
	if c.Binary == "" {
		return DefaultBinary
	}
	return c.Binary
}

func (c *Client) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

// environ returns the child's environment: PATH, TMPDIR when set, HOME and
// XDG_CACHE_HOME at CacheDir, the repository's variables, its location and
// its password. Nothing else of Khiên's environment is passed on.
func (c *Client) environ(repo *Repo) []string {
	path := os.Getenv("PATH")
	if path == "" {
		path = "/usr/local/bin:/usr/bin:/bin"
	}
	env := map[string]string{"PATH": path}
	if tmp := os.Getenv("TMPDIR"); tmp != "" {
		env["TMPDIR"] = tmp
	}
	if c.CacheDir != "" {
		env["HOME"] = c.CacheDir
		env["XDG_CACHE_HOME"] = c.CacheDir
	}
	if repo != nil {
		for k, v := range repo.Env {
			env[k] = v
		}
		env["RESTIC_REPOSITORY"] = repo.Location
		env["RESTIC_PASSWORD"] = repo.Password
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

// runOpts says what to do with restic's stdout: keep up to stdoutMax bytes
// (stdoutMax > 0), keep its head and tail as text (text), or hand it to
// stream as it comes; and whether the command only reads (see NoLock).
type runOpts struct {
	readOnly  bool
	stdoutMax int
	text      bool
	// stream reads stdout. Returning errStop ends restic early and is not
	// an error; returning another error ends restic and is returned.
	stream func(r io.Reader) error
}

// errStop is returned by a stream function that has read what it needs.
var errStop = errors.New("stop reading")

// errStopped is the cause of the cancellation when Client ends restic on
// purpose.
var errStopped = errors.New("stopped by the caller")

// runResult is a finished restic run.
type runResult struct {
	stdout   []byte // stdoutMax and text modes
	stderr   string // head and tail, not redacted
	exitCode int
	elapsed  time.Duration
	stopped  bool // the stream asked to stop (errStop)
}

// run starts restic with the global flags, then args, and waits for it.
// A non-zero exit status is not an error here: it is in the result, for
// the caller to interpret with the stderr (see fail). Errors are: the
// binary missing (ErrNotFound), an invalid repo, ctx done or the timeout,
// output over its limit, a stream error.
func (c *Client) run(ctx context.Context, repo *Repo, opts runOpts, args ...string) (*runResult, error) {
	command := args[0]
	if repo != nil {
		if err := repo.validate(); err != nil {
			return nil, err
		}
	}
	bin, err := exec.LookPath(c.binary())
	if err != nil {
		return nil, fmt.Errorf("restic %s: %w: %w", command, ErrNotFound, err)
	}
	var global []string
	if c.CacheDir == "" {
		global = append(global, "--no-cache")
	}
	if c.NoLock && opts.readOnly {
		global = append(global, "--no-lock")
	}

	runCtx := ctx
	if c.Timeout > 0 {
		var cancelTimeout context.CancelFunc
		runCtx, cancelTimeout = context.WithTimeoutCause(ctx, c.Timeout,
			fmt.Errorf("timed out after %s: %w", c.Timeout, context.DeadlineExceeded))
		defer cancelTimeout()
	}
	runCtx, cancel := context.WithCancelCause(runCtx)
	defer cancel(nil)

	cmd := exec.CommandContext(runCtx, bin, append(global, args...)...)
	cmd.Env = c.environ(repo)
	cmd.Stdin = nil // /dev/null: restic must never wait for a password on stdin
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = GracePeriod
	stderr := &headTail{headMax: textHead, tailMax: textTail}
	cmd.Stderr = stderr

	var (
		capOut  *capBuffer
		textOut *headTail
		pipe    io.ReadCloser
	)
	switch {
	case opts.stream != nil:
		if pipe, err = cmd.StdoutPipe(); err != nil {
			return nil, fmt.Errorf("restic %s: %w", command, err)
		}
	case opts.text:
		textOut = &headTail{headMax: textHead, tailMax: textTail}
		cmd.Stdout = textOut
	default:
		capOut = &capBuffer{max: opts.stdoutMax, stop: func() { cancel(errStopped) }}
		cmd.Stdout = capOut
	}

	start := time.Now()
	if err := cmd.Start(); err != nil {
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			return nil, fmt.Errorf("restic %s: %w: %w", command, ErrNotFound, err)
		}
		return nil, fmt.Errorf("restic %s: start: %w", command, err)
	}
	res := &runResult{}
	var streamErr error
	if pipe != nil {
		streamErr = opts.stream(pipe)
		if streamErr != nil {
			// Closing our end makes restic's next write fail (it dies of
			// SIGPIPE); the interrupt covers a restic not writing.
			_ = pipe.Close()
			cancel(errStopped)
			res.stopped = errors.Is(streamErr, errStop)
		}
	}
	waitErr := cmd.Wait()
	res.elapsed = time.Since(start)
	res.stderr = stderr.String()
	res.exitCode = -1
	if cmd.ProcessState != nil {
		res.exitCode = cmd.ProcessState.ExitCode()
	}
	c.logger().LogAttrs(ctx, slog.LevelDebug, "restic command",
		slog.String("command", command),
		slog.Duration("duration", res.elapsed),
		slog.Int("exit_code", res.exitCode))

	// ctx done or the timeout first: a stream cut short by it fails to
	// parse, which is not the story to tell.
	if cause := context.Cause(runCtx); cause != nil && !errors.Is(cause, errStopped) {
		return res, &CommandError{Command: command, ExitCode: res.exitCode, Err: cause,
			Stderr: excerpt(c.redactor(repo).redact(res.stderr))}
	}
	switch {
	case res.stopped:
		return res, nil
	case streamErr != nil:
		return res, streamErr
	}
	if capOut != nil {
		var over bool
		res.stdout, over = capOut.bytes()
		if over {
			return res, &CommandError{Command: command, ExitCode: -1, Kind: ErrOutputTooLarge,
				Err: fmt.Errorf("more than %d bytes", opts.stdoutMax)}
		}
	}
	if textOut != nil {
		res.stdout = []byte(textOut.String())
	}
	var exitErr *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &exitErr) && !errors.Is(waitErr, exec.ErrWaitDelay) {
		return res, fmt.Errorf("restic %s: %w", command, waitErr)
	}
	return res, nil
}

// redactor returns the redactor of repo (nil repo: none).
func (c *Client) redactor(repo *Repo) *redactor {
	if repo == nil {
		return nil
	}
	return newRedactor(*repo)
}

// fail turns a run that exited non-zero (or said something went wrong
// while exiting 0) into a CommandError, classified, with a redacted
// excerpt of stderr.
func (c *Client) fail(repo *Repo, command string, res *runResult) *CommandError {
	text := c.redactor(repo).redact(res.stderr)
	return &CommandError{
		Command:  command,
		ExitCode: res.exitCode,
		Stderr:   excerpt(text),
		Kind:     classify(text, res.exitCode),
	}
}

// notFound is fail for a run that exited 0 but warned that an ID matched
// no snapshot (see ignoredID).
func (c *Client) notFound(repo *Repo, command string, res *runResult) *CommandError {
	e := c.fail(repo, command, res)
	e.Kind = ErrSnapshotNotFound
	return e
}

// ignoredID reports restic's warning, on exit status 0, that an ID given
// to snapshots, stats, ls or forget matched no snapshot.
func ignoredID(stderr string) bool {
	return strings.Contains(stderr, "Ignoring \"") &&
		(strings.Contains(stderr, "no matching ID found") || strings.Contains(stderr, "no snapshot matched"))
}

// snapshotRef is what Client accepts as a snapshot: "latest" (when allowed)
// or 8 to 64 lower-case hexadecimal digits — never something restic could
// read as a flag.
var snapshotRef = regexp.MustCompile(`^[0-9a-f]{8,64}$`)

func checkSnapshotRef(id string, latestOK bool) error {
	if (latestOK && id == "latest") || snapshotRef.MatchString(id) {
		return nil
	}
	return fmt.Errorf("restic: invalid snapshot ID %q: %w", truncate(id, 80), errs.ErrInvalid)
}

// checkArg refuses an argument restic could not take as given: empty, or
// with a NUL byte.
func checkArg(what, s string) error {
	if s == "" || strings.ContainsRune(s, 0) {
		return fmt.Errorf("restic: invalid %s %q: %w", what, truncate(s, 80), errs.ErrInvalid)
	}
	return nil
}
