package policy

import (
	"fmt"
	"testing"
)

func TestValidateIPList(t *testing.T) {
	entries := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("10.%d.%d.0/24", i/256, i%256)
		}
		return out
	}
	for _, tc := range []struct {
		name         string
		ranges, excl []string
		errs, warns  []string
		msg          string
	}{
		{name: "valid", ranges: []string{"10.0.0.0/8", "2001:db8::/32", "192.168.1.1", "172.16.0.1-172.16.0.9"}, excl: []string{"10.1.0.0/16"}},
		{name: "valid 4096 entries each", ranges: entries(4096), excl: entries(4096)[:4095]},
		{name: "no ranges", errs: []string{"ranges"}, msg: "must have 1 to 4096 entries"},
		{name: "4097 ranges", ranges: entries(4097), errs: []string{"ranges"}},
		{name: "4097 exclusions", ranges: []string{"0.0.0.0/0"}, excl: entries(4097), errs: []string{"exclusions"}},
		{name: "bad range entry", ranges: []string{"10.0.0.0/8", "1.2.3.4", "::1", "10.0.0.1/8"}, errs: []string{"ranges[3]"},
			msg: `invalid prefix "10.0.0.1/8": host bits set, did you mean 10.0.0.0/8`},
		{name: "bad exclusion entry", ranges: []string{"10.0.0.0/8"}, excl: []string{"10.1.0.0/16", "10.2.0.9-10.2.0.1"}, errs: []string{"exclusions[1]"}},
		{name: "every bad entry", ranges: []string{"x", "10.0.0.0/8", "fe80::1%eth0"}, excl: []string{"", "11.0.0.0/7"}, errs: []string{"ranges[0]", "ranges[2]", "exclusions[0]", "exclusions[1]"}},
		{name: "exclusions cover every range", ranges: []string{"10.0.0.0/24", "10.0.1.0-10.0.1.9"},
			excl: []string{"10.0.0.0/25", "10.0.0.128/25", "10.0.1.0/24"}, warns: []string{"exclusions"}, msg: "excludes every address: matches nothing"},
		{name: "adjacent exclusions cover a range", ranges: []string{"10.0.0.0/24"},
			excl: []string{"10.0.0.128-10.0.0.255", "10.0.0.0-10.0.0.127"}, warns: []string{"exclusions"}},
		{name: "overlapping exclusions cover a range", ranges: []string{"10.0.0.5-10.0.0.20"},
			excl: []string{"10.0.0.0-10.0.0.10", "10.0.0.8-10.0.0.12", "10.0.0.13-10.0.0.30"}, warns: []string{"exclusions"}},
		{name: "one address left", ranges: []string{"10.0.0.0/24"},
			excl: []string{"10.0.0.0/25", "10.0.0.129-10.0.0.255"}},
		{name: "one range left", ranges: []string{"10.0.0.0/24", "10.0.2.0/24"}, excl: []string{"10.0.0.0/24"}},
		{name: "exclusion ending at the top address", ranges: []string{"255.255.255.0/24"},
			excl: []string{"255.255.255.128/25", "255.255.255.0/25"}, warns: []string{"exclusions"}},
		{name: "v6 covered", ranges: []string{"2001:db8::/64"}, excl: []string{"::/0"}, warns: []string{"exclusions"}},
		{name: "v6 range not covered by v4 exclusion", ranges: []string{"2001:db8::/64"}, excl: []string{"0.0.0.0/0"}},
		{name: "mapped range covered by v4 exclusion", ranges: []string{"::ffff:10.0.0.0/120"}, excl: []string{"10.0.0.0/24"}, warns: []string{"exclusions"}},
		{name: "no warning on an invalid list", ranges: []string{"10.0.0.0/24", "bad"}, excl: []string{"0.0.0.0/0"}, errs: []string{"ranges[1]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			warns, err := ValidateIPList(&IPList{Name: "list", Ranges: tc.ranges, Exclusions: tc.excl})
			checkFindings(t, err, warns, tc.errs, tc.warns, tc.msg)
		})
	}
}
