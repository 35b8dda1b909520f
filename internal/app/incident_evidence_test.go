package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/app"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/notify"
)

// Evidence through the API: hashed on arrival, out of reach of the roles
// that may only read the case, every access in the chain of custody, and
// a file altered on disk refused (409) with the unit told.
func TestIncidentEvidenceAPI(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	tree, err := a.core.Units.Tree(ctx)
	if err != nil {
		t.Fatal(err)
	}
	root := tree.Children(0)[0]
	a.mkUser("ev.analyst", authz.RoleAnalyst, root)
	a.mkUser("ev.owner", authz.RoleSystemOwner, root)
	analyst, owner := a.token("ev.analyst"), a.token("ev.owner")
	c, err := a.core.Incidents.Create(ctx, authz.System(), incident.Case{UnitID: root, Title: "Mã hóa tống tiền", Category: incident.Ransomware,
		Severity: incident.Critical, DetectedAt: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	path := "/api/v1/incidents/" + strconv.FormatInt(c.ID, 10) + "/evidence"
	content := []byte("!! ALL YOUR FILES ARE ENCRYPTED !!\nLiên hệ: decrypt@example.invalid\n")
	sum := sha256.Sum256(content)
	r := a.apiRaw("POST", path+"?name=README.txt&source=FS01&collected_by=Tr%E1%BA%A7n+B", analyst, content)
	if r.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	var e incident.Evidence
	r.json(t, &e)
	if e.SHA256 != hex.EncodeToString(sum[:]) || e.Size != int64(len(content)) || e.CollectedBy != "Trần B" {
		t.Fatalf("stored %+v", e)
	}
	item := path + "/" + strconv.FormatInt(e.ID, 10)

	// The owner reads the case but not its evidence; the refusals are in
	// the chain.
	if r := a.api("GET", "/api/v1/incidents/"+strconv.FormatInt(c.ID, 10), owner, nil); r.status != http.StatusOK {
		t.Fatalf("owner reads the case: %d", r.status)
	}
	for _, p := range []string{path, item, item + "/content"} {
		if r := a.api("GET", p, owner, nil); r.status != http.StatusForbidden || strings.Contains(string(r.body), e.SHA256) {
			t.Errorf("owner GET %s: %d %s", p, r.status, r.body)
		}
	}
	if r := a.apiRaw("POST", path+"?name=x.txt", owner, []byte("x")); r.status != http.StatusForbidden {
		t.Errorf("owner uploads: %d", r.status)
	}

	r = a.api("GET", item+"/content", analyst, nil)
	if r.status != http.StatusOK || string(r.body) != string(content) || r.header.Get("Digest") != "sha-256="+e.SHA256 ||
		!strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment;") {
		t.Fatalf("download: %d %v", r.status, r.header)
	}
	var v incident.EvidenceView
	if r := a.api("GET", item, analyst, nil); r.status != http.StatusOK {
		t.Fatalf("view: %d %s", r.status, r.body)
	} else {
		r.json(t, &v)
	}
	var got []string
	for _, cu := range v.Custody {
		got = append(got, string(cu.Action)+":"+cu.Actor)
	}
	if want := "collected:ev.analyst denied:ev.owner denied:ev.owner downloaded:ev.analyst viewed:ev.analyst"; strings.Join(got, " ") != want || v.Broken != -1 {
		t.Errorf("chain of custody %v (broken at %d), want %s", got, v.Broken, want)
	}

	// Altered on disk: refused, recorded, and the unit is told.
	file := filepath.Join(a.core.Config.DataDir, "incident-evidence", e.SHA256[:2], e.SHA256)
	if err := os.WriteFile(file, []byte("nothing to see"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := a.api("GET", item+"/content", analyst, nil); r.status != http.StatusConflict || strings.Contains(string(r.body), "nothing to see") {
		t.Errorf("download of an altered file: %d %s", r.status, r.body)
	}
	var res struct {
		Items []incident.Verification
	}
	if r := a.api("POST", path+"/verify", analyst, nil); r.status != http.StatusOK {
		t.Fatalf("verify: %d %s", r.status, r.body)
	} else {
		r.json(t, &res)
	}
	if len(res.Items) != 1 || res.Items[0].OK || !strings.Contains(res.Items[0].Problem, "does not match") {
		t.Errorf("verify after tampering: %+v", res.Items)
	}
	notes, err := a.core.Backend.ListNotifications(ctx, notify.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	told := 0
	for _, n := range notes {
		if n.Kind == app.NotifyEvidenceTampered && n.UnitID == root && strings.Contains(n.TitleVI, "README.txt") {
			told++
		}
	}
	if told == 0 {
		t.Errorf("no tampering notification among %d", len(notes))
	}
	if r := a.apiRaw("POST", path+"?name=empty.bin", analyst, nil); r.status != http.StatusBadRequest {
		t.Errorf("empty upload: %d %s", r.status, r.body)
	}
}
