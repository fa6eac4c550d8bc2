// Package apitypes holds Go types generated from ../openapi.yaml, so handlers
// and clients share one definition of every request and response body and
// cannot drift from the contract. Do not edit types.gen.go by hand: change the
// spec and run `go generate ./web-openapi/...`; a test fails while it is stale.
package apitypes

//go:generate go tool oapi-codegen -config oapi-codegen.yaml ../openapi.yaml
