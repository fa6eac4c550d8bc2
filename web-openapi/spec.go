// Package webopenapi holds the Remora PCE REST API contract, openapi.yaml, and
// embeds it so the server can serve it and tests can validate against the very
// bytes that ship.
package webopenapi

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
)

// Spec is openapi.yaml as built into the binary; the server answers
// GET /api/v1/openapi.yaml with it, so clients always see the running contract.
//
//go:embed openapi.yaml
var Spec []byte

// Load parses and validates Spec. Each call returns a fresh document, so
// callers may change it (for example drop its servers) without affecting others.
func Load() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(Spec)
	if err != nil {
		return nil, fmt.Errorf("webopenapi: parse openapi.yaml: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("webopenapi: invalid openapi.yaml: %w", err)
	}
	return doc, nil
}
