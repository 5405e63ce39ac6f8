package main

import (
	"fmt"
	"net"
	"net/http"
	"time"

	"outreach/web"
)

// startWeb opens the reply pages' listener when [web] public_url is set:
// every mission gets its token first, so every letter from now on
// carries its link. It returns a nil server when pages are not served.
func (d *daemon) startWeb() (*http.Server, net.Listener, error) {
	if d.cfg.Web.PublicURL == "" {
		return nil, nil, nil
	}
	if n, err := d.e.EnsurePageTokens("daemon"); err != nil {
		return nil, nil, fmt.Errorf("reply pages: %w", err)
	} else if n > 0 {
		d.log.Info("reply page links created", "missions", n)
	}
	w := d.cfg.Web
	h, err := web.New(web.Options{Backend: d.e, Logger: d.log, Now: d.clock.Now, FormLifetime: w.FormLifetime.D,
		PerAddress: web.Rate{Burst: w.PerAddressBurst, Interval: w.PerAddressInterval.D},
		PerToken:   web.Rate{Burst: w.PerTokenBurst, Interval: w.PerTokenInterval.D}})
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", d.cfg.Web.Listen)
	if err != nil {
		return nil, nil, fmt.Errorf("reply pages: listen on %s: %w", d.cfg.Web.Listen, err)
	}
	d.log.Info("serving the reply pages", "listen", ln.Addr().String(), "public_url", d.cfg.Web.PublicURL)
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 16 << 10}, ln, nil
}
