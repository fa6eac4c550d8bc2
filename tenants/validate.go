package tenants

import (
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/remora-sec/remora/infra/usererr"
)

// Password length bounds, in characters. The upper bound keeps a single
// request from buying unbounded hashing work.
const (
	minPasswordLen = 12
	maxPasswordLen = 1024
)

// checkEmail adds a field error unless email is a single bare address.
func checkEmail(f *usererr.Fields, field, email string) {
	if email == "" {
		f.Add(field, "is required")
		return
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || len(email) > 254 || !strings.Contains(email[strings.LastIndexByte(email, '@'):], ".") {
		f.Add(field, "must be an email address such as alice@example.com")
	}
}

func checkPassword(f *usererr.Fields, field, pw string) {
	switch n := utf8.RuneCountInString(pw); {
	case n < minPasswordLen:
		f.Add(field, "must be at least 12 characters")
	case n > maxPasswordLen:
		f.Add(field, "must be at most 1024 characters")
	}
}

func checkName(f *usererr.Fields, field, name string) {
	switch n := utf8.RuneCountInString(name); {
	case strings.TrimSpace(name) == "":
		f.Add(field, "is required")
	case n > 100:
		f.Add(field, "must be at most 100 characters")
	case name != strings.TrimSpace(name):
		f.Add(field, "must not start or end with spaces")
	}
}

func checkRole(f *usererr.Fields, field string, r Role) {
	if !r.Valid() {
		f.Add(field, "must be one of owner, admin, editor, viewer")
	}
}
