// Package gateway is the PCE's HTTP edge: the chi router, the middleware
// every request crosses (request id, access log, metrics, panic recovery,
// authentication, role check, rate limits) and thin handlers that translate
// between the API types generated from web-openapi/openapi.yaml and the
// components (tenants, later compute) that do the work.
//
// Which role each route needs is declared once, in the route table
// (routes.go); object-level rules (who may grant which role) live with the
// objects in their component.
package gateway
