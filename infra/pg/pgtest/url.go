package pgtest

import "net/url"

// urlFor returns base with its database replaced by name.
func urlFor(base, name string) string {
	u, err := url.Parse(base)
	if err != nil {
		panic("pgtest: bad admin url: " + err.Error())
	}
	u.Path = "/" + name
	return u.String()
}
