package restic

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// golden returns a file of testdata/restic-0.14 ("" when it does not exist).
func golden(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "restic-0.14", name))
	if errors.Is(err, fs.ErrNotExist) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

const (
	idA   = "886cef7a245dafd2f581a879f4c011408cb113c3eedd85e33f8e7ee630dbc2f1"
	idB   = "a102dcd8adce1c2cff5623a66252f9c68804b41daefe3470b19f0075b75918fb"
	treeA = "cb93deb4f9e764648914020ff7631a48b0f39476dd8fbb7a807d7da3af0fb40d"
	treeB = "9291277e85b77df733bbd9ce1b8f80ab4e5064b4889e608a3cd06d98c1a41ed6"
)

func TestParseSnapshots(t *testing.T) {
	snap := func(extra string) string {
		return `[{"time":"2026-11-28T03:55:37Z","tree":"` + treeA + `","paths":["/srv"],"hostname":"h","username":"u","id":"` + idA + `"` + extra + `}]`
	}
	tests := []struct {
		name    string
		in      string
		want    []Snapshot
		wantErr string
	}{
		{name: "restic_0.14", in: golden(t, "snapshots.json"), want: []Snapshot{
			{ID: idA, ShortID: "886cef7a", Time: mustTime("2026-11-28T03:55:37.855000226Z"), Tree: treeA,
				Paths: []string{"/dev/shm/td/src"}, Hostname: "host", Username: "root", Tags: []string{"t1", "t2"}},
			{ID: idB, ShortID: "a102dcd8", Time: mustTime("2026-11-28T03:55:38.341386715Z"), Tree: treeB, Parent: idA,
				Paths: []string{"/dev/shm/td/src"}, Hostname: "host", Username: "root"},
		}},
		{name: "empty", in: "[]\n", want: []Snapshot{}},
		{name: "null", in: "null", want: []Snapshot{}},
		{name: "newer_fields", in: snap(`,"short_id":"886cef7a","uid":1000,"gid":1000,"program_version":"restic 0.16.4","excludes":["*.tmp"],"summary":{"files_new":3}`),
			want: []Snapshot{{ID: idA, ShortID: "886cef7a", Time: mustTime("2026-11-28T03:55:37Z"), Tree: treeA, Paths: []string{"/srv"},
				Hostname: "h", Username: "u", UID: 1000, GID: 1000, ProgramVersion: "restic 0.16.4", Excludes: []string{"*.tmp"}}}},
		{name: "short_id_derived", in: snap(""), want: []Snapshot{{ID: idA, ShortID: "886cef7a", Time: mustTime("2026-11-28T03:55:37Z"),
			Tree: treeA, Paths: []string{"/srv"}, Hostname: "h", Username: "u"}}},
		{name: "empty_input", in: "", wantErr: "unexpected end of JSON input"},
		{name: "not_an_array", in: `{"id":"x"}`, wantErr: "cannot unmarshal object"},
		{name: "trailing_garbage", in: "[] [", wantErr: "invalid character"},
		{name: "text", in: "Fatal: wrong password", wantErr: "invalid character"},
		{name: "id_as_flag", in: strings.Replace(snap(""), idA, "--password-command=sh", 1), wantErr: `invalid id "--password-command=sh"`},
		{name: "id_upper_case", in: strings.Replace(snap(""), idA, strings.ToUpper(idA), 1), wantErr: "invalid id"},
		{name: "short_id_not_prefix", in: snap(`,"short_id":"deadbeef"`), wantErr: "not a prefix"},
		{name: "short_id_too_short", in: snap(`,"short_id":"886c"`), wantErr: "not a prefix"},
		{name: "bad_tree", in: strings.Replace(snap(""), treeA, "x", 1), wantErr: "invalid tree"},
		{name: "bad_parent", in: snap(`,"parent":"-x"`), wantErr: "invalid parent"},
		{name: "bad_original", in: snap(`,"original":"abc"`), wantErr: "invalid original"},
		{name: "no_time", in: strings.Replace(snap(""), `"time":"2026-11-28T03:55:37Z",`, "", 1), wantErr: "no time"},
		{name: "bad_time", in: strings.Replace(snap(""), "2026-11-28T03:55:37Z", "yesterday", 1), wantErr: "cannot parse"},
		{name: "negative_uid", in: snap(`,"uid":-1`), wantErr: "cannot unmarshal number -1"},
		{name: "too_large", in: "[" + strings.Repeat(" ", MaxJSONOutput) + "]", wantErr: "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSnapshots([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseSnapshots error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseSnapshots: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseSnapshots (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseStats(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Stats
		wantErr string
	}{
		{name: "raw_data_0.14", in: golden(t, "stats-raw-data.json"), want: Stats{TotalSize: 21909, TotalBlobCount: 9, SnapshotsCount: 2}},
		{name: "restore_size_0.14", in: golden(t, "stats-restore-size.json"), want: Stats{TotalSize: 40017, TotalFileCount: 10, SnapshotsCount: 2}},
		{name: "empty_repository", in: `{"total_size":0,"total_file_count":0,"snapshots_count":0}`, want: Stats{}},
		{name: "compression_0.16", in: `{"total_size":100,"total_uncompressed_size":250,"compression_ratio":2.5,"compression_progress":100,"compression_space_saving":60,"total_blob_count":3,"snapshots_count":1}`,
			want: Stats{TotalSize: 100, TotalUncompressedSize: 250, CompressionRatio: 2.5, TotalBlobCount: 3, SnapshotsCount: 1}},
		{name: "no_total_size", in: `{"snapshots_count":1}`, wantErr: "no total_size"},
		{name: "no_snapshots_count", in: `{"total_size":1}`, wantErr: "no snapshots_count"},
		{name: "negative", in: `{"total_size":-5,"snapshots_count":1}`, wantErr: "negative"},
		{name: "overflow", in: `{"total_size":18446744073709551615,"snapshots_count":1}`, wantErr: "cannot unmarshal"},
		{name: "negative_ratio", in: `{"total_size":1,"snapshots_count":1,"compression_ratio":-1}`, wantErr: "compression_ratio"},
		{name: "array", in: `[]`, wantErr: "cannot unmarshal array"},
		{name: "empty", in: ``, wantErr: "unexpected end"},
		{name: "two_objects", in: `{"total_size":1,"snapshots_count":1}{}`, wantErr: "invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStats([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseStats error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseStats: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseStats (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseLs(t *testing.T) {
	snapLine := `{"time":"2026-11-28T03:55:38Z","tree":"` + treeB + `","paths":["/src"],"hostname":"h","username":"u","id":"` + idB + `","short_id":"a102dcd8","struct_type":"snapshot"}`
	node := func(path, typ string, extra string) string {
		return `{"name":"` + filepath.Base(path) + `","type":"` + typ + `","path":"` + path + `","uid":0,"gid":0,"mode":420,"mtime":"2026-11-28T03:55:36Z","atime":"2026-11-28T03:55:36Z","ctime":"2026-11-28T03:55:36Z","struct_type":"node"` + extra + `}`
	}
	tests := []struct {
		name      string
		in        string
		wantPaths []string
		wantErr   string
	}{
		{name: "restic_0.14", in: golden(t, "ls.jsonl"), wantPaths: []string{"dir /src", "file /src/a.bin 20000", "symlink /src/link", "dir /src/sub", "file /src/sub/b.txt 11"}},
		{name: "message_type_0.17", in: strings.Replace(snapLine, `"struct_type"`, `"message_type":"snapshot","x"`, 1) + "\n" +
			strings.Replace(node("/src/a", "file", `,"size":3`), `"struct_type"`, `"message_type":"node","x"`, 1),
			wantPaths: []string{"file /src/a 3"}},
		{name: "blank_lines", in: "\n" + snapLine + "\n\n" + node("/src", "dir", "") + "\n", wantPaths: []string{"dir /src"}},
		{name: "snapshot_only", in: snapLine, wantPaths: nil},
		{name: "nothing", in: "", wantErr: "no snapshot line"},
		{name: "node_first", in: node("/src", "dir", ""), wantErr: "want the snapshot first"},
		{name: "two_snapshots", in: snapLine + "\n" + snapLine, wantErr: "want a node"},
		{name: "text_line", in: snapLine + "\nFatal: oops", wantErr: "line 2"},
		{name: "relative_path", in: snapLine + "\n" + node("src/a", "file", ""), wantErr: "not absolute"},
		{name: "no_type", in: snapLine + "\n" + node("/src/a", "", ""), wantErr: "without a type"},
		{name: "no_name", in: snapLine + "\n" + strings.Replace(node("/src/a", "file", ""), `"name":"a"`, `"name":""`, 1), wantErr: "without a name"},
		{name: "negative_size", in: snapLine + "\n" + node("/src/a", "file", `,"size":-1`), wantErr: "negative size"},
		{name: "bad_snapshot_id", in: strings.Replace(snapLine, idB, "latest", 1), wantErr: "invalid id"},
		{name: "line_too_long", in: snapLine + "\n" + node("/"+strings.Repeat("a", MaxLine), "file", ""), wantErr: "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			snap, err := parseLs(strings.NewReader(tt.in), func(n Node) error {
				s := n.Type + " " + n.Path
				if n.Size > 0 {
					s += fmt.Sprint(" ", n.Size)
				}
				got = append(got, s)
				return nil
			})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseLs error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseLs: %v", err)
			}
			if snap.ID != idB || snap.ShortID != "a102dcd8" {
				t.Errorf("snapshot = %+v", snap)
			}
			if diff := cmp.Diff(tt.wantPaths, got); diff != "" {
				t.Errorf("nodes (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("fn_error_stops", func(t *testing.T) {
		stop := errors.New("enough")
		calls := 0
		_, err := parseLs(strings.NewReader(golden(t, "ls.jsonl")), func(Node) error {
			calls++
			return stop
		})
		if !errors.Is(err, stop) || calls != 1 {
			t.Errorf("parseLs = %v after %d calls, want fn's error after 1", err, calls)
		}
	})

	t.Run("node_fields", func(t *testing.T) {
		var nodes []Node
		_, err := parseLs(strings.NewReader(golden(t, "ls.jsonl")), func(n Node) error {
			nodes = append(nodes, n)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := Node{Name: "a.bin", Type: "file", Path: "/src/a.bin", Size: 20000, Mode: 0o644, Permissions: "-rw-r--r--",
			MTime: mustTime("2026-11-28T03:55:36.461768732Z"), ATime: mustTime("2026-11-28T03:55:36.461768732Z"), CTime: mustTime("2026-11-28T03:55:36.461768732Z")}
		if diff := cmp.Diff(want, nodes[1]); diff != "" {
			t.Errorf("node (-want +got):\n%s", diff)
		}
		if !nodes[0].Mode.IsDir() || nodes[2].Mode&fs.ModeSymlink == 0 {
			t.Errorf("modes: dir %v, symlink %v", nodes[0].Mode, nodes[2].Mode)
		}
	})
}

func TestParseBackupSummary(t *testing.T) {
	sum := func(extra string) string {
		return `{"message_type":"summary","files_new":2,"data_added":21707,"total_duration":0.5,"snapshot_id":"584b46cd"` + extra + `}`
	}
	tests := []struct {
		name    string
		in      string
		want    Summary
		wantErr string
	}{
		{name: "quiet_0.14", in: golden(t, "backup-quiet.jsonl"), want: Summary{SnapshotID: "886cef7a", FilesNew: 2, DirsNew: 2,
			DataBlobs: 2, TreeBlobs: 3, DataAdded: 21673, TotalFilesProcessed: 2, TotalBytesProcessed: 20006, Duration: 223448225}},
		{name: "with_status_0.14", in: golden(t, "backup.jsonl"), want: Summary{SnapshotID: "a102dcd8", FilesChanged: 1, FilesUnmodified: 1,
			DirsChanged: 2, DataBlobs: 1, TreeBlobs: 3, DataAdded: 1679, TotalFilesProcessed: 2, TotalBytesProcessed: 20011, Duration: 220071643}},
		{name: "full_id", in: strings.Replace(sum(""), "584b46cd", idA, 1), want: Summary{SnapshotID: idA, FilesNew: 2, DataAdded: 21707, Duration: 500 * time.Millisecond}},
		{name: "errors", in: `{"message_type":"error","error":{},"during":"archival","item":"/srv/locked"}` + "\n" +
			`{"message_type":"error","error":{"message":"permission denied"},"item":"/srv/x"}` + "\n" +
			`{"message_type":"error","error":"read failed","during":"scan"}` + "\n" + sum(""),
			want: Summary{SnapshotID: "584b46cd", FilesNew: 2, DataAdded: 21707, Duration: 500 * time.Millisecond,
				Errors: []string{"/srv/locked (archival)", "/srv/x: permission denied", "? (scan): read failed"}}},
		{name: "summary_fields_cannot_be_injected", in: sum(`,"incomplete":true,"errors":["x"]`),
			want: Summary{SnapshotID: "584b46cd", FilesNew: 2, DataAdded: 21707, Duration: 500 * time.Millisecond}},
		{name: "no_summary", in: `{"message_type":"status","percent_done":0.5}`, wantErr: "no summary"},
		{name: "empty", in: "", wantErr: "no summary"},
		{name: "two_summaries", in: sum("") + "\n" + sum(""), wantErr: "a second summary"},
		{name: "text_line", in: "Files: 2 new\n" + sum(""), wantErr: "line 1"},
		{name: "bad_id", in: strings.Replace(sum(""), "584b46cd", "-r /", 1), wantErr: "invalid snapshot_id"},
		{name: "negative", in: sum(`,"files_changed":-1`), wantErr: "negative"},
		{name: "negative_duration", in: strings.Replace(sum(""), "0.5", "-1", 1), wantErr: "total_duration"},
		{name: "huge_duration", in: strings.Replace(sum(""), "0.5", "1e300", 1), wantErr: "total_duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseBackupSummary([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseBackupSummary error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseBackupSummary: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseBackupSummary (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseCheck(t *testing.T) {
	tests := []struct {
		name      string
		file      string // testdata/restic-0.14/<file>.stdout and .stderr
		stdout    string // instead of file
		stderr    string
		exitCode  int
		wantOK    bool
		wantKnown bool
		wantPacks int64
		wantErrs  []string
	}{
		{name: "structure_ok", file: "check-ok", wantOK: true, wantKnown: true},
		{name: "read_all_ok", file: "check-read-ok", wantOK: true, wantKnown: true, wantPacks: 4},
		{name: "group_ok", file: "check-group-ok", wantOK: true, wantKnown: true, wantPacks: 1},
		{name: "empty_group_ok", wantOK: true, wantKnown: true, stdout: "check snapshots, trees and blobs\n[0:00] 100.00%  2 / 2 snapshots\n\n" +
			"read group #1 of 0 data packs (out of total 4 packs in 5 groups)\n[0:00]          0 packs\n\nno errors were found\n"},
		{name: "corrupt_pack", file: "check-corrupt", exitCode: 1, wantKnown: true, wantPacks: 4, wantErrs: []string{
			"Pack ID does not match, want 3472be919daf9fdce8d9325ba7e9a03ae5123172c18c044cc4872838d5955431, got 080a405f483d3d7fedce3bb21f269020e1fe3d5940e62182c1501fc6b1e05214"}},
		{name: "missing_pack", file: "check-missing-pack", exitCode: 1, wantKnown: true, wantErrs: []string{
			"pack f3ea40275a96633ce2fe137cec2988f518fcd45d0121706db7c6a6e89b1ca25c: does not exist"}},
		{name: "missing_tree_with_retries", file: "check-missing-tree", exitCode: 1, wantKnown: true, wantErrs: []string{
			"pack 21b3d0c5895dc82228e4361b269bc2dd2a0dc15e763f8a345c4680e89c334892: does not exist",
			"error for tree 99403b23: ReadFull(<data/21b3d0c589>): open r2/data/21/21b3d0c5895dc82228e4361b269bc2dd2a0dc15e763f8a345c4680e89c334892: no such file or directory"}},
		{name: "damaged_index", file: "check-index", exitCode: 1, wantKnown: true, wantErrs: []string{
			"error: error loading index 71eaf15b70169ae1cf5835996d1068273d5458bfb2b0ba9a16d540f1c5f81886: load <index/71eaf15b70>: invalid data returned"}},
		{name: "no_index", file: "check-no-index", exitCode: 1, wantKnown: true, wantErrs: []string{
			"error for tree 9291277e: id 9291277e85b77df733bbd9ce1b8f80ab4e5064b4889e608a3cd06d98c1a41ed6 not found in repository",
			"error for tree cb93deb4: id cb93deb4f9e764648914020ff7631a48b0f39476dd8fbb7a807d7da3af0fb40d not found in repository"}},
		{name: "fatal_lines_lost", stderr: "Fatal: repository contains errors\n", exitCode: 1, wantKnown: true,
			wantErrs: []string{"repository contains errors"}},
		{name: "wrong_password", stderr: "Fatal: wrong password or no key found\n", exitCode: 1},
		{name: "locked", stderr: "unable to create lock in backend: repository is already locked exclusively by PID 1 on h by root\nFatal: unable to create lock\n", exitCode: 1},
		{name: "exit_0_without_verdict", stdout: "load indexes\n", exitCode: 0},
		{name: "passed_but_exit_1", stdout: "no errors were found\n", exitCode: 1},
		{name: "fatal_with_exit_0", stdout: "no errors were found\n", stderr: "Fatal: repository contains errors\n", exitCode: 0},
		{name: "killed", stdout: "check all packs\n", exitCode: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr := tt.stdout, tt.stderr
			if tt.file != "" {
				stdout, stderr = golden(t, tt.file+".stdout"), golden(t, tt.file+".stderr")
			}
			got, known := parseCheck(stdout, stderr, tt.exitCode)
			if known != tt.wantKnown {
				t.Fatalf("parseCheck recognised = %v, want %v (%+v)", known, tt.wantKnown, got)
			}
			if !known {
				return
			}
			if got.OK != tt.wantOK || got.PacksRead != tt.wantPacks || got.ErrorCount != len(tt.wantErrs) {
				t.Errorf("parseCheck = %+v, want OK %v, %d packs read, %d errors", got, tt.wantOK, tt.wantPacks, len(tt.wantErrs))
			}
			if diff := cmp.Diff(tt.wantErrs, got.Errors); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if got.Output == "" {
				t.Error("no output excerpt")
			}
		})
	}

	t.Run("errors_bounded", func(t *testing.T) {
		var b strings.Builder
		for i := range 1000 {
			fmt.Fprintf(&b, "pack %064x: does not exist %s\n", i, strings.Repeat("x", 1000))
		}
		b.WriteString(checkFailed + "\n")
		got, known := parseCheck("", b.String(), 1)
		if !known || got.OK || got.ErrorCount != 1000 || len(got.Errors) != maxMessages || len(got.Errors[0]) > maxMessage || len(got.Output) > 2*maxCheckOutput+1 {
			t.Errorf("parseCheck of 1000 errors: known %v, OK %v, count %d, kept %d, first %d bytes, output %d bytes",
				known, got.OK, got.ErrorCount, len(got.Errors), len(got.Errors[0]), len(got.Output))
		}
	})
}

func TestParseRestore(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		stdout    string
		stderr    string
		exitCode  int
		verify    bool
		want      RestoreResult
		wantKnown bool
	}{
		{name: "verified_0.14", file: "restore-verify-ok", verify: true, wantKnown: true,
			want: RestoreResult{OK: true, Verified: true, FilesVerified: 2, VerifyDuration: time.Millisecond}},
		{name: "not_verified", stdout: "restoring <Snapshot a102dcd8 of [/srv] at 2026-11-28 03:55:38 +0000 UTC by root@h> to /tmp/t\n", wantKnown: true,
			want: RestoreResult{OK: true}},
		{name: "took_seconds", stdout: "verifying files in /tmp/t\nfinished verifying 1200 files in /tmp/t (took 2m3.5s)\n", verify: true, wantKnown: true,
			want: RestoreResult{OK: true, Verified: true, FilesVerified: 1200, VerifyDuration: 2*time.Minute + 3500*time.Millisecond}},
		{name: "target_with_parentheses", stdout: "finished verifying 3 files in /tmp/a (b) (took 10ms)\n", verify: true, wantKnown: true,
			want: RestoreResult{OK: true, Verified: true, FilesVerified: 3, VerifyDuration: 10 * time.Millisecond}},
		{name: "corrupt_0.14", file: "restore-corrupt", verify: true, exitCode: 1, wantKnown: true,
			want: RestoreResult{ErrorCount: 2, Errors: []string{"/src/a.bin: ciphertext verification failed", "/src/a.bin: UtimesNano: no such file or directory"}}},
		{name: "verification_failed", verify: true, exitCode: 1, wantKnown: true,
			stdout: "restoring <Snapshot …> to /tmp/t\nverifying files in /tmp/t\n",
			stderr: "ignoring error for /tmp/t/src/a.bin: Unexpected content in /tmp/t/src/a.bin, starting at offset 4096\n" +
				"ignoring error for /tmp/t/src/b: Invalid file size for /tmp/t/src/b: expected 10, got 3\nFatal: There were 2 errors\n",
			want: RestoreResult{ErrorCount: 2, Errors: []string{
				"/tmp/t/src/a.bin: Unexpected content in /tmp/t/src/a.bin, starting at offset 4096",
				"/tmp/t/src/b: Invalid file size for /tmp/t/src/b: expected 10, got 3"}}},
		{name: "count_without_lines", stderr: "Fatal: There were 7 errors\n", exitCode: 1, wantKnown: true, want: RestoreResult{ErrorCount: 7}},
		{name: "verify_line_missing", stdout: "restoring <Snapshot …> to /tmp/t\n", verify: true},
		{name: "snapshot_not_found", stderr: "Fatal: failed to find snapshot: no matching ID found for prefix \"deadbeef\"\n", exitCode: 1},
		{name: "wrong_password", file: "wrong-password", exitCode: 1, verify: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr := tt.stdout, tt.stderr
			if tt.file != "" {
				stdout, stderr = golden(t, tt.file+".stdout"), golden(t, tt.file+".stderr")
			}
			got, known := parseRestore(stdout, stderr, tt.exitCode, tt.verify)
			if known != tt.wantKnown {
				t.Fatalf("parseRestore recognised = %v, want %v (%+v)", known, tt.wantKnown, got)
			}
			if !known {
				return
			}
			got.Output = ""
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseRestore (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseVersion(t *testing.T) {
	tests := []struct{ in, want, wantErr string }{
		{in: "restic 0.14.0 compiled with go1.19.8 on linux/amd64\n", want: "0.14.0"},
		{in: "restic 0.17.3 compiled with go1.23.3 on linux/arm64\n", want: "0.17.3"},
		{in: "restic 0.16.4-dev (compiled manually) compiled with go1.22 on linux/amd64", want: "0.16.4-dev"},
		{in: "restic 1.0.0", want: "1.0.0"},
		{in: "", wantErr: "unexpected"},
		{in: "rustic 0.7.0", wantErr: "unexpected"},
		{in: "restic version unknown", wantErr: "unexpected"},
	}
	for _, tt := range tests {
		got, err := parseVersion(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseVersion(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseVersion(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
}

// BenchmarkParseLs: listing a snapshot's files is the one output whose
// size grows with the data backed up (a file server's snapshot holds
// millions of nodes).
func BenchmarkParseLs(b *testing.B) {
	lines := strings.SplitAfter(golden(b, "ls.jsonl"), "\n")
	head, node := lines[0], lines[2] // the snapshot, a file
	for _, n := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("%d_nodes", n), func(b *testing.B) {
			in := head + strings.Repeat(node, n)
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				count := 0
				if _, err := parseLs(strings.NewReader(in), func(Node) error { count++; return nil }); err != nil || count != n {
					b.Fatalf("parseLs: %v, %d nodes", err, count)
				}
			}
		})
	}
}
