// Package password hashes and checks login passwords with argon2id (RFC 9106),
// a memory-hard function: guessing a stolen hash costs memory as well as time.
// Hashes are stored in the PHC string format, so the parameters travel with the
// hash and can be raised later without invalidating old passwords.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters.
type Params struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// Default follows OWASP's password storage guidance for argon2id: 46 MiB, one
// pass, one lane (about 50 ms on one core here). Logins are rate limited and
// hashed a few at a time, so the memory stays bounded under a flood.
var Default = Params{MemoryKiB: 46 * 1024, Time: 1, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
	// MinLength and MaxLength bound a new password, in characters. The upper
	// bound keeps hashing cheap to refuse; length, not composition rules, is
	// what makes a password strong (NIST SP 800-63B).
	MinLength = 12
	MaxLength = 128
)

// Hash returns the PHC string of pw hashed with p and a fresh random salt.
func Hash(pw string, p Params) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// ErrMalformed means a stored hash is not an argon2id PHC string l2c can read.
var ErrMalformed = errors.New("password hash: not an argon2id PHC string")

// Verify reports whether pw matches the stored hash, in time independent of
// where they differ. stale says the hash used weaker parameters than p and
// should be replaced now that the password is known.
func Verify(stored, pw string, p Params) (ok, stale bool, err error) {
	got, salt, key, err := parse(stored)
	if err != nil {
		return false, false, err
	}
	if len(pw) > 4*MaxLength {
		return false, false, nil // longer than any password we accept: not worth hashing
	}
	try := argon2.IDKey([]byte(pw), salt, got.Time, got.MemoryKiB, got.Threads, uint32(len(key)))
	ok = subtle.ConstantTimeCompare(try, key) == 1
	return ok, got.MemoryKiB < p.MemoryKiB || got.Time < p.Time, nil
}

func parse(stored string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(stored, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, ErrMalformed
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, ErrMalformed
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil ||
		p.MemoryKiB < 8 || p.MemoryKiB > 1<<22 || p.Time < 1 || p.Time > 64 || p.Threads < 1 {
		return p, nil, nil, ErrMalformed
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 {
		return p, nil, nil, ErrMalformed
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 {
		return p, nil, nil, ErrMalformed
	}
	return p, salt, key, nil
}

// Check says what is wrong with pw as a new password for user, or nil.
func Check(pw, user string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw):
		return errors.New("is not valid UTF-8")
	case n < MinLength:
		return fmt.Errorf("is too short: at least %d characters", MinLength)
	case n > MaxLength:
		return fmt.Errorf("is too long: at most %d characters", MaxLength)
	case len(user) >= 4 && strings.Contains(strings.ToLower(pw), strings.ToLower(user)):
		// Short IDs (li, wu) are left out: too many good passwords contain them.
		return errors.New("must not contain the user name")
	case strings.Count(pw, string([]rune(pw)[0])) == len(pw):
		return errors.New("must not be one character repeated")
	}
	return nil
}
