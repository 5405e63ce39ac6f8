package config

import _ "embed"

// Example is the commented example configuration: every key with its
// default, describing the 28th round. `outreach init` writes it.
//
//go:embed outreach.example.toml
var Example string
