package flatjson_test

import (
	"strings"
	"testing"

	"khien.vn/khien/internal/ingest"
	"khien.vn/khien/internal/ingest/flatjson"
)

// windowsLine is a typical flat Windows process-creation event (about 1 KB).
var windowsLine = []byte(`{"EventID":4688,"Channel":"Security","Provider":"Microsoft-Windows-Security-Auditing",` +
	`"Computer":"ws01.corp.example.vn","TimeCreated":"2026-03-14T08:15:42.1234567Z","EventRecordID":1234567,` +
	`"Level":0,"Task":13312,"Keywords":"0x8020000000000000","ProcessID":4,"ThreadID":7412,` +
	`"SubjectUserSid":"S-1-5-21-3623811015-3361044348-30300820-1013","SubjectUserName":"nguyen.an",` +
	`"SubjectDomainName":"CORP","SubjectLogonId":"0x3e7a1f","NewProcessId":"0x1a2c",` +
	`"NewProcessName":"C:\\Windows\\System32\\cmd.exe","TokenElevationType":"%%1936","ProcessId":"0x1f40",` +
	`"CommandLine":"cmd.exe /c whoami /all \u0026\u0026 net user administrator /domain","TargetUserSid":"S-1-0-0",` +
	`"TargetUserName":"-","TargetDomainName":"-","TargetLogonId":"0x0",` +
	`"ParentProcessName":"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",` +
	`"MandatoryLabel":"S-1-16-8192","Hashes":"SHA256=9F1C3E5A7B2D4F6081A3C5E7092B4D6F8A1C3E5B7D9F0A2C4E6B8D0F2A4C6E8"}`)

// ecsLine is a nested Elastic Common Schema process event.
var ecsLine = []byte(`{"@timestamp":"2026-03-14T08:15:42.123Z","event":{"kind":"event","category":"process",` +
	`"type":"start","code":"4688","provider":"Microsoft-Windows-Security-Auditing"},` +
	`"host":{"name":"ws01","hostname":"ws01.corp.example.vn","os":{"family":"windows","version":"10.0"}},` +
	`"user":{"name":"nguyen.an","domain":"CORP","id":"S-1-5-21-3623811015-3361044348-30300820-1013"},` +
	`"process":{"pid":6700,"executable":"C:\\Windows\\System32\\cmd.exe","name":"cmd.exe",` +
	`"command_line":"cmd.exe /c whoami /all","parent":{"pid":8000,"name":"WINWORD.EXE",` +
	`"executable":"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE"}},` +
	`"winlog":{"channel":"Security","event_id":4688,"record_id":1234567,"computer_name":"ws01.corp.example.vn",` +
	`"event_data":{"SubjectLogonId":"0x3e7a1f","TokenElevationType":"%%1936","MandatoryLabel":"S-1-16-8192",` +
	`"NewProcessId":"0x1a2c","ProcessId":"0x1f40"}},"message":"A new process has been created."}`)

// ecsArraysLine is ecsLine with the arrays ECS uses for categories, related
// entities and tags.
var ecsArraysLine = []byte(strings.Replace(strings.Replace(string(ecsLine),
	`"category":"process","type":"start"`, `"category":["process"],"type":["start","info"]`, 1),
	`"message":`, `"related":{"user":["nguyen.an","SYSTEM"],"hash":["9f1c3e5a7b2d4f60"]},"tags":["windows","<sysmon>"],"message":`, 1))

func BenchmarkDecode(b *testing.B) {
	for _, bc := range []struct {
		name string
		line []byte
	}{
		{"windows", windowsLine},
		{"ecs", ecsLine},
		{"ecs_arrays", ecsArraysLine},
	} {
		b.Run(bc.name+"/flatjson", func(b *testing.B) {
			var d flatjson.Decoder
			n := 0
			fn := func(k, v []byte) { n += len(v) }
			b.SetBytes(int64(len(bc.line)))
			b.ReportAllocs()
			for b.Loop() {
				if err := d.Decode(bc.line, fn); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bc.name+"/flatjson_map", func(b *testing.B) {
			// Into a reused map, copying keys and values as a consumer must.
			var d flatjson.Decoder
			m := map[string]string{}
			fn := func(k, v []byte) { m[string(k)] = string(v) }
			b.SetBytes(int64(len(bc.line)))
			b.ReportAllocs()
			for b.Loop() {
				clear(m)
				if err := d.Decode(bc.line, fn); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bc.name+"/reference", func(b *testing.B) {
			b.SetBytes(int64(len(bc.line)))
			b.ReportAllocs()
			for b.Loop() {
				v, err := ingest.DecodeJSON(bc.line)
				if err != nil {
					b.Fatal(err)
				}
				if err := ingest.Flatten(map[string]string{}, "", v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
