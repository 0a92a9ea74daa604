package audit

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// A Checkpoint is the trail's sealed head as it was at a moment, signed with
// the key and kept outside the database (the log, a file on another disk or
// in a bucket). The head in the database only proves the entries before it;
// someone who can write to the database can also put back an older copy of
// both, or empty both. A checkpoint remembers how far the trail had got, so
// `l2c audit verify` notices a trail that ends before it.
type Checkpoint struct {
	Seq  int64     `json:"seq"`
	Head string    `json:"head"` // hex of the head MAC (Chain.HeadMAC) at Seq
	At   time.Time `json:"at"`
	Sig  string    `json:"sig"` // hex HMAC over the fields above
}

// Checkpoint signs the head (seq, headMAC) as of at.
func (c Chain) Checkpoint(seq int64, headMAC []byte, at time.Time) Checkpoint {
	cp := Checkpoint{Seq: seq, Head: hex.EncodeToString(headMAC), At: at.UTC().Truncate(time.Microsecond)}
	cp.Sig = hex.EncodeToString(c.checkpointSig(cp))
	return cp
}

func (c Chain) checkpointSig(cp Checkpoint) []byte {
	m := hmac.New(sha256.New, c.key)
	var n [8]byte
	m.Write([]byte("checkpoint"))
	binary.BigEndian.PutUint64(n[:], uint64(cp.Seq))
	m.Write(n[:])
	binary.BigEndian.PutUint64(n[:], uint64(cp.At.UnixMicro()))
	m.Write(n[:])
	m.Write([]byte(cp.Head))
	return m.Sum(nil)
}

// Signed reports whether cp was signed with this chain's key.
func (c Chain) Signed(cp Checkpoint) bool {
	sig, err := hex.DecodeString(cp.Sig)
	return err == nil && hmac.Equal(sig, c.checkpointSig(cp))
}

// AppendCheckpoint adds cp as one JSON line to the file at path, creating it,
// and syncs it to disk before returning.
func AppendCheckpoint(path string, cp Checkpoint) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("audit checkpoint file: %w", err)
	}
	line, _ := json.Marshal(cp)
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("write audit checkpoint: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync audit checkpoint: %w", err)
	}
	return f.Close()
}

// ReadCheckpoints reads a checkpoint file. A line that is not a checkpoint is
// an error: a checkpoint file is only ever appended to by l2c.
func ReadCheckpoints(r io.Reader) ([]Checkpoint, error) {
	var out []Checkpoint
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var cp Checkpoint
		if err := json.Unmarshal(sc.Bytes(), &cp); err != nil {
			return nil, fmt.Errorf("audit checkpoint line %d: %w", n, err)
		}
		out = append(out, cp)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read audit checkpoints: %w", err)
	}
	return out, nil
}

// ReadCheckpointFile reads the checkpoints at path; a file that does not exist
// yet holds none.
func ReadCheckpointFile(path string) ([]Checkpoint, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit checkpoint file: %w", err)
	}
	defer f.Close()
	return ReadCheckpoints(f)
}

// Against makes the verifier also check the trail against checkpoints taken
// earlier: each must be signed with the key, and the entry it names must be
// there and end the chain as the checkpoint says.
func (v *Verifier) Against(cps []Checkpoint) {
	v.want = map[int64][]Checkpoint{}
	v.report.Checkpoints = len(cps)
	for i, cp := range cps {
		if !v.chain.Signed(cp) {
			v.fault("checkpoint %d (entry %d, %s) is not signed with this key", i+1, cp.Seq, cp.At.Format(time.RFC3339))
			continue
		}
		v.want[cp.Seq] = append(v.want[cp.Seq], cp)
		if cp.Seq > v.maxWant {
			v.maxWant, v.maxWantAt = cp.Seq, cp.At
		}
	}
}

// checkAt checks the checkpoints taken at entry e.
func (v *Verifier) checkAt(e Entry) {
	for _, cp := range v.want[e.Seq] {
		if hex.EncodeToString(v.chain.HeadMAC(e.Seq, e.MAC)) != cp.Head {
			v.fault("entry %d is not the entry the checkpoint of %s saw: the trail was rewritten from there", e.Seq, cp.At.Format(time.RFC3339))
		}
	}
}

// checkEnd notices a trail that ends before the last checkpoint.
func (v *Verifier) checkEnd() {
	if v.maxWant > v.lastSeq {
		v.fault("the trail ends at entry %d but the checkpoint of %s saw entry %d: entries were removed or the database was restored from an older copy",
			v.lastSeq, v.maxWantAt.Format(time.RFC3339), v.maxWant)
	}
}
