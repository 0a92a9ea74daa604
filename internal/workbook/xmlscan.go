package workbook

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// xmlScanner is a small streaming tokenizer for the two parts of an .xlsx that
// carry data, worksheets and the shared strings. They are machine-written,
// regular XML; encoding/xml (which excelize's Rows iterator uses for every
// cell) allocates a token per element and spends about 6 µs a cell, where this
// spends a fraction of that. It understands elements, attributes, character
// data with entities, comments, processing instructions and CDATA; it refuses
// a DTD, which OOXML never has and which is the way into entity expansion.
type xmlScanner struct {
	br   *bufio.Reader
	tag  []byte // the current tag, between < and >
	text []byte // character data collected since the last reset
	kind tokKind
}

type tokKind uint8

const (
	tokStart tokKind = iota // <name ...>
	tokEmpty                // <name .../>
	tokEnd                  // </name>
)

// Bounds on what one token may hold: a cell holds at most 32,767 characters.
const (
	maxTagBytes  = 64 << 10
	maxTextBytes = 256 << 10
)

var errDTD = errors.New("the XML declares a DTD, which a workbook never does")

func newXMLScanner(r io.Reader) *xmlScanner {
	return &xmlScanner{br: bufio.NewReaderSize(r, 64<<10)}
}

// next reads up to and including the next element tag. Character data before
// it is appended to s.text when keep is true and skipped otherwise.
func (s *xmlScanner) next(keep bool) error {
	for {
		if err := s.readText(keep); err != nil {
			return err
		}
		if err := s.readTag(); err != nil {
			return err
		}
		t := s.tag
		switch {
		case len(t) > 0 && t[0] == '/':
			s.kind = tokEnd
			return nil
		case len(t) > 0 && t[0] == '?':
			// a processing instruction: <?xml ...?>
		case bytes.HasPrefix(t, []byte("!--")):
			if err := s.until([]byte("--")); err != nil {
				return err
			}
		case bytes.HasPrefix(t, []byte("![CDATA[")):
			if err := s.until([]byte("]]")); err != nil {
				return err
			}
			if keep {
				// Stored escaped, so that unescaping the text gives it back as is.
				body := s.tag[len("![CDATA[") : len(s.tag)-2]
				body = bytes.ReplaceAll(bytes.ReplaceAll(body, []byte("&"), []byte("&amp;")), []byte("<"), []byte("&lt;"))
				s.text = append(s.text, body...)
			}
		case len(t) > 0 && t[0] == '!':
			return errDTD
		default:
			s.kind = tokStart
			if len(t) > 0 && t[len(t)-1] == '/' {
				s.kind = tokEmpty
			}
			return nil
		}
	}
}

// until extends the current tag until it ends with suffix before its '>':
// comments and CDATA may hold '>' of their own.
func (s *xmlScanner) until(suffix []byte) error {
	for !bytes.HasSuffix(s.tag, suffix) {
		s.tag = append(s.tag, '>')
		more, err := s.readRaw('>')
		if err != nil {
			return err
		}
		s.tag = append(s.tag, more...)
		if len(s.tag) > maxTextBytes {
			return errors.New("a comment or CDATA section is too long")
		}
	}
	return nil
}

// readText consumes character data up to the next '<'.
func (s *xmlScanner) readText(keep bool) error {
	for {
		chunk, err := s.br.ReadSlice('<')
		if keep {
			if err == nil {
				s.text = append(s.text, chunk[:len(chunk)-1]...)
			} else {
				s.text = append(s.text, chunk...)
			}
			if len(s.text) > maxTextBytes {
				return errors.New("a cell holds more text than a spreadsheet allows")
			}
		}
		switch err {
		case nil:
			return nil
		case bufio.ErrBufferFull:
			continue
		default:
			return err // io.EOF: the part ended cleanly between tags
		}
	}
}

// readTag reads a tag up to its closing '>', which may not be inside quotes.
func (s *xmlScanner) readTag() error {
	s.tag = s.tag[:0]
	for {
		more, err := s.readRaw('>')
		if err != nil {
			return err
		}
		s.tag = append(s.tag, more...)
		if quotesClosed(s.tag) {
			return nil
		}
		s.tag = append(s.tag, '>')
		if len(s.tag) > maxTagBytes {
			return errors.New("a tag is too long")
		}
	}
}

// readRaw reads up to delim, returning what came before it (delim consumed).
func (s *xmlScanner) readRaw(delim byte) ([]byte, error) {
	var acc []byte
	for {
		chunk, err := s.br.ReadSlice(delim)
		switch err {
		case nil:
			if acc == nil {
				return chunk[:len(chunk)-1], nil
			}
			return append(acc, chunk[:len(chunk)-1]...), nil
		case bufio.ErrBufferFull:
			acc = append(acc, chunk...)
			if len(acc) > maxTagBytes {
				return nil, errors.New("a tag is too long")
			}
		case io.EOF:
			return nil, io.ErrUnexpectedEOF
		default:
			return nil, err
		}
	}
}

func quotesClosed(b []byte) bool {
	var q byte
	for _, c := range b {
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '"' || c == '\'':
			q = c
		}
	}
	return q == 0
}

// name is the current tag's local name, without a namespace prefix.
func (s *xmlScanner) name() []byte {
	t := s.tag
	if s.kind == tokEnd {
		t = t[1:]
	}
	end := bytes.IndexAny(t, " \t\r\n/")
	if end < 0 {
		end = len(t)
	}
	t = t[:end]
	if i := bytes.IndexByte(t, ':'); i >= 0 {
		t = t[i+1:]
	}
	return t
}

// attr returns the raw value of the current tag's attribute with local name
// local, and whether it is there.
func (s *xmlScanner) attr(local string) ([]byte, bool) {
	var out []byte
	found := false
	s.attrs(func(name, value []byte) bool {
		if string(name) == local {
			out, found = value, true
			return false
		}
		return true
	})
	return out, found
}

// attrs calls fn with each attribute of the current tag (local name, raw
// value) until fn returns false.
func (s *xmlScanner) attrs(fn func(name, value []byte) bool) {
	t := s.tag
	i := bytes.IndexAny(t, " \t\r\n")
	if i < 0 {
		return
	}
	t = t[i:]
	for {
		t = bytes.TrimLeft(t, " \t\r\n")
		eq := bytes.IndexByte(t, '=')
		if eq < 0 {
			return
		}
		name := bytes.TrimSpace(t[:eq])
		if c := bytes.IndexByte(name, ':'); c >= 0 {
			name = name[c+1:]
		}
		t = bytes.TrimLeft(t[eq+1:], " \t\r\n")
		if len(t) == 0 || (t[0] != '"' && t[0] != '\'') {
			return
		}
		end := bytes.IndexByte(t[1:], t[0])
		if end < 0 {
			return
		}
		if !fn(name, t[1:1+end]) {
			return
		}
		t = t[end+2:]
	}
}

// xmlEntities are XML's predefined entities and the bytes they stand for.
var xmlEntities = map[string]byte{"lt": '<', "gt": '>', "amp": '&', "quot": '"', "apos": '\''}

// unescape decodes XML entities and the _xHHHH_ escapes OOXML uses for
// characters XML cannot carry.
func unescape(b []byte) string {
	if bytes.IndexByte(b, '&') < 0 && !bytes.Contains(b, []byte("_x")) {
		return string(b)
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '&':
			end := bytes.IndexByte(b[i:], ';')
			if end < 0 || end > 12 {
				out = append(out, c)
				i++
				continue
			}
			ent := string(b[i+1 : i+end])
			i += end + 1
			if e, ok := xmlEntities[ent]; ok {
				out = append(out, e)
			} else if r, ok := charRef(ent); ok {
				out = utf8.AppendRune(out, r)
			} else {
				out = append(out, '&')
				out = append(out, ent...)
				out = append(out, ';')
			}
		case c == '_' && i+6 < len(b) && b[i+1] == 'x' && b[i+6] == '_':
			if v, err := strconv.ParseUint(string(b[i+2:i+6]), 16, 16); err == nil {
				out = utf8.AppendRune(out, rune(v))
				i += 7
				continue
			}
			out = append(out, c)
			i++
		default:
			out = append(out, c)
			i++
		}
	}
	return string(out)
}

func charRef(ent string) (rune, bool) {
	if len(ent) < 2 || ent[0] != '#' {
		return 0, false
	}
	var v uint64
	var err error
	if ent[1] == 'x' || ent[1] == 'X' {
		v, err = strconv.ParseUint(ent[2:], 16, 32)
	} else {
		v, err = strconv.ParseUint(ent[1:], 10, 32)
	}
	if err != nil || v > utf8.MaxRune {
		return 0, false
	}
	return rune(v), true
}

// cellColumn reads the column of a reference like "AB12" (1-based).
func cellColumn(ref []byte) (int, error) {
	col := 0
	for _, c := range ref {
		switch {
		case c >= 'A' && c <= 'Z':
			col = col*26 + int(c-'A'+1)
		case c >= 'a' && c <= 'z':
			col = col*26 + int(c-'a'+1)
		case c == '$':
		default:
			if col == 0 {
				return 0, fmt.Errorf("bad cell reference %q", ref)
			}
			return col, nil
		}
		if col > 1<<20 {
			return 0, fmt.Errorf("bad cell reference %q", ref)
		}
	}
	if col == 0 {
		return 0, fmt.Errorf("bad cell reference %q", ref)
	}
	return col, nil
}

func atoi(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 10 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
