package policy

// ValidateIPList checks an IP list: its name, 1 to 4096 ranges and up to
// 4096 exclusions, each a valid entry (see ParseIPRange). It warns when
// the exclusions cover every range, since the list then matches nothing.
func ValidateIPList(l *IPList) ([]Warning, error) {
	return validateIPList(l).result()
}

func validateIPList(l *IPList) *report {
	r := new(report)
	checkName(r, "name", l.Name, maxNameLen)
	checkDescription(r, "description", l.Description)
	checkCount(r, "ranges", len(l.Ranges), 1, maxIPListEntries)
	checkCount(r, "exclusions", len(l.Exclusions), 0, maxIPListEntries)
	ranges := parseEntries(r, "ranges", l.Ranges)
	excl := parseEntries(r, "exclusions", l.Exclusions)
	if len(r.errs) > 0 || len(excl) == 0 {
		return r
	}
	merged := mergeRanges(excl)
	for _, rg := range ranges {
		if !coveredBy(rg, merged) {
			return r
		}
	}
	r.warn("exclusions", "excludes every address: matches nothing")
	return r
}

// parseEntries parses every entry, failing each bad one at its own path.
func parseEntries(r *report, path string, entries []string) []IPRange {
	out := make([]IPRange, 0, len(entries))
	for i, e := range entries {
		rg, err := ParseIPRange(e)
		if err != nil {
			r.fail(at(path, i), err.Error())
			continue
		}
		out = append(out, rg)
	}
	return out
}
