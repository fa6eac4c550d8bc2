// Package tenants owns who may do what: tenant lifecycle (signup, schema
// provisioning, deletion), users and roles, password login with rotating
// refresh tokens, and API keys. It is also the one way into a tenant's data:
// Store.InTenant runs a transaction pinned to that tenant's schema, so no
// other component ever builds a schema-qualified query.
//
// Authorization here is object-level (who may grant which role, the last
// owner stays); which role a route needs is the gateway's route table.
package tenants
