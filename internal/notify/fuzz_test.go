package notify_test

import (
	"testing"

	"khien.vn/khien/internal/notify"
)

// FuzzChannelConfig feeds arbitrary JSON to the channel config parsers,
// which read what administrators type (and the API receives). A config
// that is accepted must be canonical after one Validate: validating it
// again changes nothing, and a channel can be built from it.
func FuzzChannelConfig(f *testing.F) {
	for _, seed := range []struct {
		kind uint8
		data string
	}{
		{0, `{"url":"https://hooks.example.vn/khien","timeout_seconds":5}`},
		{0, `{"url":"http://[::1]:8080/x?y=1"}`},
		{0, `{"url":"https://x.example/"} {}`},
		{1, `{"host":"smtp.example.vn","port":587,"username":"khien","from":"Khiên <khien@example.vn>","to":["a@example.vn","\"Phòng ATTT, Sở\" <b@example.vn>"],"require_tls":true}`},
		{1, `{"host":"smtp.example.vn","from":"\"a\\\"b\" <k@example.vn>","to":["(comment) c@example.vn"]}`},
		{1, `{"host":"smtp.example.vn","from":"=?utf-8?q?Khi=C3=AAn?= <k@example.vn>","to":["c@example.vn"]}`},
		{2, `{"chat_id":"-1001234567890","api_url":"http://127.0.0.1:8081/"}`},
		{2, `{"chat_id":"@khien_alerts"}`},
		{2, `[]`},
		{2, ``},
	} {
		f.Add(seed.kind, []byte(seed.data))
	}
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		c := notify.ChannelConfig{Kind: notify.ChannelKinds[int(kind)%len(notify.ChannelKinds)], Name: "fuzz",
			Secret: botToken, Config: string(data)}
		if err := c.Validate(); err != nil {
			return
		}
		again := c
		if err := again.Validate(); err != nil {
			t.Fatalf("canonical config %s is refused: %v", c.Config, err)
		}
		if again.Config != c.Config {
			t.Fatalf("Validate is not idempotent:\n%s\n%s", c.Config, again.Config)
		}
		if _, err := notify.NewChannel(c, notify.ChannelOptions{}); err != nil {
			t.Fatalf("NewChannel(%s): %v", c.Config, err)
		}
	})
}
