//go:build tools

package outreach

import (
	_ "github.com/BurntSushi/toml"
	_ "github.com/coreos/go-systemd/v22/daemon"
	_ "github.com/emersion/go-imap/v2"
	_ "github.com/emersion/go-imap/v2/imapclient"
	_ "github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	_ "github.com/emersion/go-message"
	_ "github.com/emersion/go-smtp"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/robfig/cron/v3"
	_ "github.com/wneessen/go-mail"
	_ "go.etcd.io/bbolt"
	_ "golang.org/x/text/encoding/charmap"
)
