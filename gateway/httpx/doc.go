// Package httpx holds the API conventions every handler shares: RFC 9457
// problem responses, strict JSON request decoding, request ids and cursor
// pagination parameters. Handlers stay thin by leaning on it; none of them
// writes an error response by hand.
package httpx
