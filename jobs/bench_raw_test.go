package jobs

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// dotStuff returns data as it travels after DATA (RFC 5321 §4.5.2): a dot
// added before each line that starts with one, and the end of data
// (".\r\n" after the last CRLF). data has CRLF line ends, as rendered.
func dotStuff(data []byte) []byte {
	out := make([]byte, 0, len(data)+len(data)/1024+5)
	for line := 0; line < len(data); {
		if data[line] == '.' {
			out = append(out, '.')
		}
		next := bytes.IndexByte(data[line:], '\n')
		if next < 0 {
			out = append(out, data[line:]...)
			break
		}
		out = append(out, data[line:line+next+1]...)
		line += next + 1
	}
	if !bytes.HasSuffix(out, []byte("\r\n")) {
		out = append(out, "\r\n"...)
	}
	return append(out, ".\r\n"...)
}

// sendRaw is the second baseline, the limit of the protocol itself: one
// goroutine per connection speaking SMTP straight over the socket, with
// MAIL, every RCPT and DATA written together and their replies read after
// (RFC 2920 pipelining, which the sink offers), then the content, read
// from a file already dot-stuffed and ended, written to the socket in one
// block, and the reply to the end of data. Two round trips per message and
// nothing else: no store, no rendering, no retries, no deadlines.
func sendRaw(tb testing.TB, addr string, conns, n int, msgs []preRendered) {
	tb.Helper()
	onConnections(tb, "raw loop", conns, func(next *atomic.Int64) error { return rawLoop(addr, n, msgs, next) })
}

func rawLoop(addr string, n int, msgs []preRendered, next *atomic.Int64) error {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer nc.Close()
	r := bufio.NewReaderSize(nc, 4096)
	w := bufio.NewWriterSize(nc, 4096)
	if _, err := rawReply(r, 220); err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	w.WriteString("EHLO bench.example\r\n")
	if err := w.Flush(); err != nil {
		return err
	}
	ext, err := rawReply(r, 250)
	if err != nil {
		return fmt.Errorf("EHLO: %w", err)
	}
	if !strings.Contains(ext, "PIPELINING") {
		return fmt.Errorf("the sink does not offer PIPELINING: %q", ext)
	}
	for {
		i := int(next.Add(1)) - 1
		if i >= n {
			break
		}
		m := msgs[i%len(msgs)]
		data, err := os.ReadFile(m.stuffed)
		if err != nil {
			return err
		}
		w.WriteString("MAIL FROM:<" + m.from + ">\r\n")
		for _, to := range m.to {
			w.WriteString("RCPT TO:<" + to + ">\r\n")
		}
		w.WriteString("DATA\r\n")
		if err := w.Flush(); err != nil {
			return err
		}
		for k := range len(m.to) + 1 {
			if _, err := rawReply(r, 250); err != nil {
				return fmt.Errorf("message %d, reply %d: %w", i, k, err)
			}
		}
		if _, err := rawReply(r, 354); err != nil {
			return fmt.Errorf("message %d, DATA: %w", i, err)
		}
		if _, err := nc.Write(data); err != nil {
			return err
		}
		if _, err := rawReply(r, 250); err != nil {
			return fmt.Errorf("message %d, end of data: %w", i, err)
		}
	}
	w.WriteString("QUIT\r\n")
	if err := w.Flush(); err != nil {
		return err
	}
	_, err = rawReply(r, 221)
	return err
}

// rawReply reads one reply, all its lines, and checks its code.
func rawReply(r *bufio.Reader, want int) (string, error) {
	var text strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return text.String(), err
		}
		if len(line) < 4 {
			return text.String(), fmt.Errorf("short reply %q", line)
		}
		code, err := strconv.Atoi(line[:3])
		if err != nil || code != want {
			return text.String(), fmt.Errorf("reply %q, want %d", strings.TrimSpace(line), want)
		}
		text.WriteString(line[4:])
		if line[3] != '-' {
			return text.String(), nil
		}
	}
}
