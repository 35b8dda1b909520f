package user_test

import (
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/user"
)

func TestHashPassword(t *testing.T) {
	h, err := user.HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not argon2id with the expected parameters", h)
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{{"correct horse battery staple", true}, {"correct horse battery stapl", false}, {"", false}} {
		ok, err := user.CheckPassword(h, tc.pw)
		if err != nil || ok != tc.want {
			t.Errorf("CheckPassword(%q) = %v, %v; want %v", tc.pw, ok, err, tc.want)
		}
	}
	h2, _ := user.HashPassword("correct horse battery staple")
	if h2 == h {
		t.Error("two hashes of one password are equal: salt not random")
	}
}

func TestCheckPasswordMalformed(t *testing.T) {
	for _, h := range []string{"", "$argon2id$", "$bcrypt$v=19$m=1,t=1,p=1$AAAA$AAAA",
		"$argon2id$v=19$m=0,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=99999999,t=1,p=1$AAAA$AAAA",
		"$argon2id$v=19$m=64,t=1,p=1$!!$AAAA"} {
		if ok, err := user.CheckPassword(h, "x"); ok || err == nil {
			t.Errorf("CheckPassword(%q) = %v, %v; want an error", h, ok, err)
		}
	}
}

func FuzzCheckPassword(f *testing.F) {
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA", "pw")
	f.Fuzz(func(t *testing.T, hash, pw string) {
		_, _ = user.CheckPassword(hash, pw) // must not panic
	})
}

func TestPasswordPolicy(t *testing.T) {
	for _, tc := range []struct {
		pw, user string
		ok       bool
	}{
		{"short", "", false},
		{"long enough password", "", true},
		{"my-name-is-alice!", "alice", false},
		{strings.Repeat("x", 1025), "", false},
		{"Mật khẩu đủ dài rồi", "", true},
	} {
		if err := user.CheckPasswordPolicy(tc.pw, tc.user); (err == nil) != tc.ok {
			t.Errorf("policy(%q, %q) = %v, want ok=%v", tc.pw, tc.user, err, tc.ok)
		}
	}
	if p := user.RandomPassword(); len(p) != 20 || user.CheckPasswordPolicy(p, "admin") != nil {
		t.Errorf("RandomPassword() = %q fails the policy", p)
	}
}

// RFC 6238 Appendix B test vectors for HMAC-SHA1 (secret "12345678901234567890"),
// truncated to six digits.
func TestTOTPVectors(t *testing.T) {
	secret := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // base32 of "12345678901234567890"
	for _, tc := range []struct {
		unix int64
		want string
	}{
		{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"},
		{1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"},
	} {
		got, err := user.TOTPCode(secret, user.TOTPStep(time.Unix(tc.unix, 0)))
		if err != nil || got != tc.want {
			t.Errorf("TOTP at %d = %q, %v; want %q", tc.unix, got, err, tc.want)
		}
	}
}

func TestMatchTOTP(t *testing.T) {
	secret := user.NewTOTPSecret()
	now := time.Unix(1_800_000_000, 0)
	code, _ := user.TOTPCode(secret, user.TOTPStep(now))
	prev, _ := user.TOTPCode(secret, user.TOTPStep(now)-1)
	old, _ := user.TOTPCode(secret, user.TOTPStep(now)-3)
	if user.MatchTOTP(secret, code, now) != user.TOTPStep(now) {
		t.Error("current code not accepted")
	}
	if user.MatchTOTP(secret, " "+code[:3]+" "+code[3:], now) < 0 {
		t.Error("code with spaces not accepted")
	}
	if user.MatchTOTP(secret, prev, now) != user.TOTPStep(now)-1 {
		t.Error("previous step not accepted (clock skew allowance)")
	}
	if user.MatchTOTP(secret, old, now) >= 0 && old != code && old != prev {
		t.Error("code from three steps ago accepted")
	}
	if user.MatchTOTP(secret, "12345", now) >= 0 || user.MatchTOTP(secret, "abcdef", now) >= 0 {
		t.Error("malformed code accepted")
	}
	uri := user.TOTPURI("Khien", "alice", secret)
	if !strings.HasPrefix(uri, "otpauth://totp/Khien:alice?") || !strings.Contains(uri, "secret="+secret) {
		t.Errorf("bad otpauth URI %q", uri)
	}
}
