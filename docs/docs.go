// Package docs carries the documents the running system serves as they are
// written: the analysts' cookbook, whose queries GET /api/analytics runs and
// whose text a test keeps true against the warehouse. Embedding it makes
// the document and the binary one version.
package docs

import _ "embed"

// Analytics is docs/analytics.md, the cookbook.
//
//go:embed analytics.md
var Analytics string
