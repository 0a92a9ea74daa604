package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestServeUntilStopsOnCancelOrFailure: a server answers until its context
// ends and then stops cleanly; one that cannot serve returns why at once.
func TestServeUntilStopsOnCancelOrFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) }),
		ReadHeaderTimeout: time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveUntil(ctx, srv, func() error { return srv.Serve(ln) }, time.Second) }()
	resp, err := http.Get("http://" + ln.Addr().String())
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusTeapot, resp.StatusCode)
	cancel()
	require.NoError(t, <-done)

	refused := errors.New("listen: address in use")
	require.ErrorIs(t, serveUntil(context.Background(), &http.Server{ReadHeaderTimeout: time.Second},
		func() error { return refused }, time.Second), refused)
}
