package erpsim

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/l2c/l2c/connectors/sap"
)

// jbuf writes JSON by appending, which is several times faster than
// encoding/json for the simulator's fixed shapes: a million customers must be
// served in seconds.
type jbuf struct {
	b     []byte
	first bool
}

// begin opens an object ({) or an array ([); end closes it.
func (j *jbuf) begin(bracket byte) {
	j.b = append(j.b, bracket)
	j.first = true
}

func (j *jbuf) end(bracket byte) {
	j.b = append(j.b, bracket)
	j.first = false
}

func (j *jbuf) open()     { j.begin('{') }
func (j *jbuf) close()    { j.end('}') }
func (j *jbuf) openArr()  { j.begin('[') }
func (j *jbuf) closeArr() { j.end(']') }

// results writes k as an expanded to-many navigation property, OData v2's
// {"results": [...]}; write writes its elements.
func (j *jbuf) results(k string, write func()) {
	j.key(k)
	j.open()
	j.key("results")
	j.openArr()
	write()
	j.closeArr()
	j.close()
}

// elem starts an array element.
func (j *jbuf) elem() {
	if !j.first {
		j.b = append(j.b, ',')
	}
	j.first = false
}

func (j *jbuf) key(k string) {
	if !j.first {
		j.b = append(j.b, ',')
	}
	j.first = false
	j.b = append(j.b, '"')
	j.b = append(j.b, k...)
	j.b = append(j.b, '"', ':')
}

func (j *jbuf) str(k, v string) {
	j.key(k)
	j.b = appendString(j.b, v)
}

func (j *jbuf) boolean(k string, v bool) {
	j.key(k)
	j.b = strconv.AppendBool(j.b, v)
}

func (j *jbuf) null(k string) {
	j.key(k)
	j.b = append(j.b, "null"...)
}

// date writes an Edm.DateTime, or null for the zero time.
func (j *jbuf) date(k string, t time.Time) {
	if t.IsZero() {
		j.null(k)
		return
	}
	j.str(k, sap.FormatDate(t))
}

func (j *jbuf) dateOffset(k string, t time.Time) {
	if t.IsZero() {
		j.null(k)
		return
	}
	j.str(k, sap.FormatDateOffset(t))
}

func (j *jbuf) meta(uri, typ, etag string) {
	j.key("__metadata")
	j.open()
	j.str("id", uri)
	j.str("uri", uri)
	j.str("type", typ)
	if etag != "" {
		j.str("etag", etag)
	}
	j.close()
}

func (j *jbuf) deferred(k, uri string) {
	j.key(k)
	j.open()
	j.key("__deferred")
	j.open()
	j.str("uri", uri)
	j.close()
	j.close()
}

const hex = "0123456789abcdef"

// plain reports whether s is written into JSON as it is: ASCII with no
// control character, quote or backslash. It looks at eight bytes at a time;
// most of what the simulator writes is plain.
func plain(s string) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		quote, slash := x^(ones*'"'), x^(ones*'\\')
		// A byte below 0x20, a zero byte of quote or slash (that is, a '"' or
		// a '\\'), or a byte of 0x80 or more: not plain.
		if ((x-ones*0x20)|(quote-ones)|(slash-ones)|x)&highs != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	if plain(s) {
		b = append(b, s...)
		return append(b, '"')
	}
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, s[start:i]...)
				b = append(b, `\ufffd`...)
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
