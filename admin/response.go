package admin

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
)

// response is an http.ResponseWriter that keeps what a handler writes, so
// a request can be served in process (NewLocal) and a route's answer
// looked at before it is sent (jsonErrors).
type response struct {
	code   int // 0 until the handler writes
	header http.Header
	body   bytes.Buffer
}

func newResponse() *response { return &response{header: http.Header{}} }

func (w *response) Header() http.Header { return w.header }

func (w *response) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *response) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

// status is the status written, 200 when the handler wrote none.
func (w *response) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// result is the response as a client receives it.
func (w *response) result() *http.Response {
	code := w.status()
	return &http.Response{
		Status:        strconv.Itoa(code) + " " + http.StatusText(code),
		StatusCode:    code,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.header.Clone(),
		Body:          io.NopCloser(bytes.NewReader(w.body.Bytes())),
		ContentLength: int64(w.body.Len()),
	}
}
