package message

import (
	"bytes"
	"encoding/base64"
	"testing"
)

// decodeBase64Switch is decodeBase64 as first written, a switch on each
// byte: what decodeBase64 must still give.
func decodeBase64Switch(b []byte, limit int) []byte {
	max := limit/3*4 + 4
	clean := make([]byte, 0, min(len(b), max))
	for _, c := range b {
		if len(clean) >= max {
			break
		}
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			clean = append(clean, c)
		case c == '-':
			clean = append(clean, '+')
		case c == '_':
			clean = append(clean, '/')
		case c == '=':
			if len(clean)%4 != 0 {
				goto done
			}
		}
	}
done:
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
	n, _ := base64.RawStdEncoding.Decode(out, clean)
	out = out[:n]
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

func base64Samples() [][]byte {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	enc := base64.StdEncoding.EncodeToString(all)
	return [][]byte{nil, []byte("UEFSVFNUQVQ9\r\nQUNDRVBURUQ="), []byte("UEFSVFNUQVQ9QUNDRVBURUQ=UEFS"), []byte("UEFSVFNU=QVQ9"),
		[]byte(base64.URLEncoding.EncodeToString(all)), []byte(enc), []byte(enc[:101] + "\r\n\t*" + enc[101:]), all, []byte("a"), []byte("ab=c==d")}
}

// The table gives what the switch gave, for every byte and at any limit.
func TestDecodeBase64Table(t *testing.T) {
	for _, b := range base64Samples() {
		for _, limit := range []int{0, 1, 2, 3, 10, 100, 1 << 20} {
			if got, want := decodeBase64(b, limit), decodeBase64Switch(b, limit); !bytes.Equal(got, want) {
				t.Errorf("decodeBase64(%q, %d) = %q, want %q", b, limit, got, want)
			}
		}
	}
}

func FuzzDecodeBase64(f *testing.F) {
	for _, b := range base64Samples() {
		f.Add(b, 100)
	}
	f.Fuzz(func(t *testing.T, b []byte, limit int) {
		limit = max(0, limit%(1<<16))
		if got, want := decodeBase64(b, limit), decodeBase64Switch(b, limit); !bytes.Equal(got, want) {
			t.Errorf("decodeBase64(%q, %d) = %q, want %q", b, limit, got, want)
		}
	})
}
