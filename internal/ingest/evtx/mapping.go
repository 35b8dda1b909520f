package evtx

import (
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/event"
)

// Field names this package sets beyond the common ones in package event.
const (
	FieldChannel           = "winlog.channel"
	FieldRecordID          = "winlog.record_id"
	FieldEventID           = "winlog.event_id"
	FieldProviderName      = "winlog.provider_name"
	FieldProviderGUID      = "winlog.provider_guid"
	FieldComputerName      = "winlog.computer_name"
	FieldProcessPID        = "winlog.process.pid"
	FieldThreadID          = "winlog.process.thread.id"
	FieldUserIdentifier    = "winlog.user.identifier"
	FieldKeywords          = "winlog.keywords"
	FieldOpcode            = "winlog.opcode"
	FieldTask              = "winlog.task"
	FieldVersion           = "winlog.version"
	FieldActivityID        = "winlog.activity_id"
	FieldRelatedActivityID = "winlog.related_activity_id"
	// PrefixEventData prefixes EventData/Data values: winlog.event_data.<Name>.
	PrefixEventData = "winlog.event_data."
	// PrefixUserData prefixes UserData values: winlog.user_data.<path>.
	PrefixUserData = "winlog.user_data."
)

// Keyword bits that say how a Security audit event ended.
const (
	keywordAuditFailure = 0x10000000000000
	keywordAuditSuccess = 0x20000000000000
)

// Event maps the record to a normalised event. source names the import
// (Source.Name, e.g. "evtx:Security.evtx"). Received is left zero for the
// caller to set. A record with Err set gives an event with ParseError set
// and the fields that could be read.
func (rec Record) Event(source string) event.Event {
	ev := event.Event{
		Time:   rec.Time.UTC(),
		Source: event.Source{Kind: event.KindEVTX, Name: source},
		Fields: make(map[string]string, 32),
	}
	if rec.Err != nil {
		ev.ParseError = rec.Err.Error()
	}
	if !ev.Time.IsZero() {
		ev.Set(event.FieldTimestamp, ev.Time.Format(time.RFC3339Nano))
	}
	ev.Set(FieldRecordID, strconv.FormatUint(rec.ID, 10))
	if rec.XML == nil {
		return ev
	}
	ev.Message = rec.XML.XML()

	sys := rec.XML.Child("System")
	prov := sys.Child("Provider")
	name, _ := prov.Attr("Name")
	ev.Set(event.FieldEventProvider, name)
	ev.Set(FieldProviderName, name)
	guid, _ := prov.Attr("Guid")
	ev.Set(FieldProviderGUID, guid)

	id := strings.TrimSpace(sys.Child("EventID").InnerText())
	ev.Set(event.FieldEventCode, id)
	ev.Set(FieldEventID, id)
	ev.Set(FieldVersion, sys.Child("Version").InnerText())
	level := sys.Child("Level").InnerText()
	ev.Set(event.FieldLogLevel, levelName(level))
	ev.Set(FieldTask, sys.Child("Task").InnerText())
	ev.Set(FieldOpcode, sys.Child("Opcode").InnerText())
	kw := sys.Child("Keywords").InnerText()
	ev.Set(FieldKeywords, kw)
	if k, err := strconv.ParseUint(strings.TrimPrefix(kw, "0x"), 16, 64); err == nil {
		switch {
		case k&keywordAuditSuccess != 0:
			ev.Set(event.FieldEventOutcome, "success")
		case k&keywordAuditFailure != 0:
			ev.Set(event.FieldEventOutcome, "failure")
		}
	}
	corr := sys.Child("Correlation")
	act, _ := corr.Attr("ActivityID")
	ev.Set(FieldActivityID, act)
	rel, _ := corr.Attr("RelatedActivityID")
	ev.Set(FieldRelatedActivityID, rel)
	exe := sys.Child("Execution")
	pid, _ := exe.Attr("ProcessID")
	ev.Set(FieldProcessPID, pid)
	tid, _ := exe.Attr("ThreadID")
	ev.Set(FieldThreadID, tid)
	ev.Set(FieldChannel, sys.Child("Channel").InnerText())
	computer := sys.Child("Computer").InnerText()
	ev.Set(event.FieldHostName, computer)
	ev.Set(FieldComputerName, computer)
	uid, _ := sys.Child("Security").Attr("UserID")
	ev.Set(FieldUserIdentifier, uid)

	mapEventData(&ev, rec.XML.Child("EventData"))
	if ud := rec.XML.Child("UserData"); ud != nil {
		seen := make(map[string]int)
		for _, el := range ud.Elements() {
			// The single child names the payload (as winlogbeat's
			// user_data.xml_name); its content is flattened below it.
			ev.Set(PrefixUserData+"xml_name", el.Name)
			flatten(&ev, PrefixUserData, el, seen, 0)
		}
	}
	return ev
}

// mapEventData sets winlog.event_data.<Name> for every <Data Name=…>,
// param1, param2… for unnamed Data, and the other children (Binary…) by
// their element name. A name seen twice (an array value) joins the
// values with ", ".
func mapEventData(ev *event.Event, ed *Node) {
	if ed == nil {
		return
	}
	unnamed := 0
	for _, el := range ed.Elements() {
		name := el.Name
		if el.Name == "Data" {
			n, ok := el.Attr("Name")
			if !ok || n == "" {
				unnamed++
				n = "param" + strconv.Itoa(unnamed)
			}
			name = n
		}
		key := PrefixEventData + name
		v := el.InnerText()
		if old, ok := ev.Fields[key]; ok && v != "" {
			v = old + ", " + v
		}
		ev.Set(key, v)
	}
}

// flatten sets prefix+path for the text and attributes of n's children:
// <A><B>x</B></A> below prefix gives prefix+"B" = x; an attribute C of B
// gives prefix+"B.C". Repeated paths get a suffix: B, B_2, B_3…
func flatten(ev *event.Event, prefix string, n *Node, seen map[string]int, depth int) {
	if depth > MaxDepth {
		return
	}
	for _, a := range n.Attrs {
		if a.Name == "xmlns" || strings.HasPrefix(a.Name, "xmlns:") {
			continue
		}
		ev.Set(unique(prefix[:len(prefix)-1]+"."+a.Name, seen), a.Value)
	}
	for _, c := range n.Elements() {
		key := unique(prefix+c.Name, seen)
		if len(c.Elements()) == 0 {
			ev.Set(key, c.InnerText())
		}
		flatten(ev, key+".", c, seen, depth+1)
	}
}

func unique(key string, seen map[string]int) string {
	seen[key]++
	if k := seen[key]; k > 1 {
		return key + "_" + strconv.Itoa(k)
	}
	return key
}

// levelName maps System/Level to log.level as winlogbeat does; levels
// without a standard name keep their number.
func levelName(level string) string {
	switch level {
	case "0", "4":
		return "information"
	case "1":
		return "critical"
	case "2":
		return "error"
	case "3":
		return "warning"
	case "5":
		return "verbose"
	}
	return level
}
