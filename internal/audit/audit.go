// Package audit is l2c's tamper-evident trail: every decision, change of terms,
// rule edit, login and token use is appended as an entry whose MAC covers its
// content and the previous entry's MAC. Editing or deleting any entry, or
// cutting entries off the end, breaks the chain, and Verify says where.
//
// The MAC key lives outside the database (L2C_AUDIT_KEY), so someone who can
// write to PostgreSQL cannot re-chain the entries after changing one.
package audit

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Entry is one audited event.
type Entry struct {
	Seq        int64           `json:"seq"`
	At         time.Time       `json:"at"`
	Actor      string          `json:"actor"`
	Action     string          `json:"action"` // "approval.decide", "rules.save", "token.use", …
	ObjectType string          `json:"object_type,omitempty"`
	ObjectID   string          `json:"object_id,omitempty"`
	Detail     json.RawMessage `json:"detail,omitempty"`
	Prev       []byte          `json:"-"`
	MAC        []byte          `json:"-"`
}

// Chain computes and checks entry MACs with one key.
type Chain struct{ key []byte }

// NewChain returns a chain keyed with key, which must be at least 16 bytes.
func NewChain(key []byte) (Chain, error) {
	if len(key) < 16 {
		return Chain{}, fmt.Errorf("audit key: want at least 16 bytes, got %d", len(key))
	}
	return Chain{key: bytes.Clone(key)}, nil
}

// MAC is the entry's MAC given the previous entry's: HMAC-SHA256 over an
// unambiguous, length-prefixed encoding of every field.
func (c Chain) MAC(prev []byte, e Entry) []byte {
	m := hmac.New(sha256.New, c.key)
	var n [8]byte
	write := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		m.Write(n[:])
		m.Write(b)
	}
	write(prev)
	binary.BigEndian.PutUint64(n[:], uint64(e.Seq))
	m.Write(n[:])
	binary.BigEndian.PutUint64(n[:], uint64(e.At.UTC().UnixMicro()))
	m.Write(n[:])
	for _, s := range []string{e.Actor, e.Action, e.ObjectType, e.ObjectID} {
		write([]byte(s))
	}
	write(e.Detail)
	return m.Sum(nil)
}

// HeadMAC seals the chain's last entry, so entries cut off the end are noticed.
func (c Chain) HeadMAC(seq int64, last []byte) []byte {
	m := hmac.New(sha256.New, c.key)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(seq))
	m.Write([]byte("head"))
	m.Write(n[:])
	m.Write(last)
	return m.Sum(nil)
}

// Report is what Verify found.
type Report struct {
	Entries int64    `json:"entries"`
	LastSeq int64    `json:"last_seq"`
	OK      bool     `json:"ok"`
	Faults  []string `json:"faults,omitempty"`
	// Checkpoints is how many checkpoints the trail was held against (see
	// Verifier.Against); 0 says an emptied or restored trail would pass.
	Checkpoints int `json:"checkpoints"`
}

// Verifier checks entries one at a time, in sequence order, without holding
// them: memory stays flat however long the trail.
type Verifier struct {
	chain   Chain
	prev    []byte
	lastSeq int64
	report  Report
	// checkpoints to hold the trail against (see Against)
	want      map[int64][]Checkpoint
	maxWant   int64
	maxWantAt time.Time
}

// NewVerifier starts checking a trail from its beginning.
func NewVerifier(c Chain) *Verifier { return &Verifier{chain: c} }

const maxFaults = 100

func (v *Verifier) fault(format string, args ...any) {
	if len(v.report.Faults) < maxFaults {
		v.report.Faults = append(v.report.Faults, fmt.Sprintf(format, args...))
	}
}

// Add checks the next entry.
func (v *Verifier) Add(e Entry) {
	v.report.Entries++
	if e.Seq != v.lastSeq+1 {
		v.fault("entry %d follows entry %d: entries %d to %d are missing", e.Seq, v.lastSeq, v.lastSeq+1, e.Seq-1)
	}
	if !bytes.Equal(e.Prev, v.prev) {
		v.fault("entry %d does not link to the entry before it", e.Seq)
	}
	if !hmac.Equal(e.MAC, v.chain.MAC(e.Prev, e)) {
		v.fault("entry %d was changed after it was written", e.Seq)
	}
	v.checkAt(e)
	v.prev, v.lastSeq = e.MAC, e.Seq
}

// Done checks the end of the trail against its sealed head and returns the
// report. headMAC nil means there is no head row: fine for a trail that never
// had an entry, a fault once it has any. (A trail emptied along with its head
// looks like one that never had an entry; only a checkpoint, see Against,
// tells them apart.)
func (v *Verifier) Done(headSeq int64, headMAC []byte) Report {
	v.checkEnd()
	if headMAC == nil && v.lastSeq > 0 {
		v.fault("the trail has %d entries but no seal: the head row was removed", v.report.Entries)
	} else if headSeq != v.lastSeq {
		v.fault("the trail ends at entry %d but its seal says %d: entries were removed or the seal is stale", v.lastSeq, headSeq)
	} else if !hmac.Equal(headMAC, v.chain.HeadMAC(headSeq, v.prev)) && headSeq > 0 {
		v.fault("the seal on entry %d does not match", headSeq)
	}
	v.report.LastSeq = v.lastSeq
	v.report.OK = len(v.report.Faults) == 0
	return v.report
}

// DevKey is the key `l2c dev` uses when L2C_AUDIT_KEY is not set: fine on a
// laptop, worthless anywhere else, and refused by serve and worker outside dev.
const DevKey = "l2c-development-audit-key-not-secret"

// devKey is kept for the code that knew it by this name.
const devKey = DevKey

// KeyFromEnv returns the MAC key from L2C_AUDIT_KEY, or the development key and
// false when it is unset.
func KeyFromEnv(getenv func(string) string) ([]byte, bool) {
	if k := getenv("L2C_AUDIT_KEY"); k != "" {
		return []byte(k), true
	}
	return []byte(devKey), false
}

// MinKeyBytes is how much randomness a production key must carry.
const MinKeyBytes = 32

// placeholders are keys that are public: shipped in l2c's files or its
// documentation, or what people type when asked for a secret.
var placeholders = []string{DevKey, "replace-with-a-long-random-secret", "changeme", "change-me", "secret",
	"password", "l2c", "audit", "example", "test", "dev", "xxxx", "todo", "placeholder", "insecure", "default"}

// KeyHelp says how to make a key; errors about the key end with it.
const KeyHelp = "make one with `openssl rand -hex 32` (or `head -c32 /dev/urandom | base64`) and set L2C_AUDIT_KEY to it"

// CheckKey decides whether raw (L2C_AUDIT_KEY as given) is fit for
// production and returns the key bytes to use. A key written as hex or base64
// counts by the bytes it decodes to, so "32 random bytes" means what it says;
// the text itself is the key, so existing trails keep verifying. A key that is,
// or is made of, a known placeholder, or that repeats a few characters, is
// refused: it is public or guessable, and a trail keyed with it proves nothing.
func CheckKey(raw string) ([]byte, error) {
	k := strings.TrimSpace(raw)
	if k == "" {
		return nil, errors.New("L2C_AUDIT_KEY is not set; " + KeyHelp)
	}
	lower := strings.ToLower(k)
	for _, p := range placeholders {
		if lower == p || (len(p) >= 8 && strings.Contains(lower, p)) {
			return nil, fmt.Errorf("L2C_AUDIT_KEY is a published placeholder (%q), not a secret; %s", p, KeyHelp)
		}
	}
	n := len(k)
	if b, err := hex.DecodeString(k); err == nil {
		n = len(b)
	} else if b, err := base64.StdEncoding.DecodeString(k); err == nil {
		n = len(b)
	} else if b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(k, "=")); err == nil {
		n = len(b)
	}
	if n < MinKeyBytes {
		return nil, fmt.Errorf("L2C_AUDIT_KEY carries %d bytes, want at least %d; %s", n, MinKeyBytes, KeyHelp)
	}
	distinct := map[rune]bool{}
	for _, r := range k {
		distinct[r] = true
	}
	if len(distinct) < 8 {
		return nil, fmt.Errorf("L2C_AUDIT_KEY repeats %d characters: it is not random; %s", len(distinct), KeyHelp)
	}
	return []byte(k), nil
}

// Derive returns a key for another purpose (signing device cookies, say),
// derived from the chain's key: one secret to manage, and knowing a derived
// key tells nothing about the chain's.
func (c Chain) Derive(purpose string) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte("l2c derive\x00" + purpose))
	return m.Sum(nil)
}
