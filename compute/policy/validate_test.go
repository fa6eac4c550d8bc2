package policy

import (
	"slices"
	"strings"
	"testing"
)

// checkFindings compares a validation's error paths and warning paths with
// the wanted ones (nil: none), and that some message contains msg.
func checkFindings(t *testing.T, err error, warns []Warning, wantErrs, wantWarns []string, msg string) {
	t.Helper()
	slices.Sort(wantErrs)
	slices.Sort(wantWarns)
	if got := fieldPaths(t, err); !slices.Equal(got, wantErrs) {
		t.Errorf("error paths %q, want %q\n%s", got, wantErrs, messages(err, warns))
	}
	if got := warnPaths(warns); !slices.Equal(got, wantWarns) {
		t.Errorf("warning paths %q, want %q\n%s", got, wantWarns, messages(err, warns))
	}
	if msg != "" && !strings.Contains(messages(err, warns), msg) {
		t.Errorf("no message contains %q:\n%s", msg, messages(err, warns))
	}
}

func TestValidateDimension(t *testing.T) {
	for key, valid := range map[string]bool{
		"env": true, "a": true, "data-center": true, "tier_2": true, "x" + strings.Repeat("a", 31): true,
		"": false, "Env": false, "2fa": false, "-env": false, "_env": false, "env.x": false, "env ": false,
		"x" + strings.Repeat("a", 32): false, "é": false,
	} {
		err := ValidateDimension(key)
		var want []string
		if !valid {
			want = []string{"key"}
		}
		checkFindings(t, err, nil, want, nil, "")
	}
}

func TestValidateLabel(t *testing.T) {
	dims := DefaultDimensions
	for _, tc := range []struct {
		name  string
		l     Label
		paths []string
		msg   string
	}{
		{"valid", Label{Key: "env", Value: "prod"}, nil, ""},
		{"value with inner space and unicode", Label{Key: "loc", Value: "São Paulo 2"}, nil, ""},
		{"value 64 characters", Label{Key: "app", Value: strings.Repeat("é", 64)}, nil, ""},
		{"id is not checked", Label{ID: "whatever", Key: "env", Value: "prod"}, nil, ""},
		{"key not a dimension", Label{Key: "team", Value: "x"}, []string{"key"}, `must be one of role, app, env, loc, got "team"`},
		{"key missing", Label{Value: "x"}, []string{"key"}, "is required"},
		{"value missing", Label{Key: "env"}, []string{"value"}, "is required"},
		{"value too long", Label{Key: "env", Value: strings.Repeat("a", 65)}, []string{"value"}, "must be 1 to 64 characters"},
		{"value with =", Label{Key: "env", Value: "a=b"}, []string{"value"}, `"a=b"`},
		{"value with ,", Label{Key: "env", Value: "a,b"}, []string{"value"}, "'=' or ','"},
		{"value leading space", Label{Key: "env", Value: " prod"}, []string{"value"}, "start or end with a space"},
		{"value trailing space", Label{Key: "env", Value: "prod "}, []string{"value"}, "start or end with a space"},
		{"value only spaces", Label{Key: "env", Value: "  "}, []string{"value"}, ""},
		{"value control char", Label{Key: "env", Value: "pr\nod"}, []string{"value"}, "control"},
		{"value invisible char", Label{Key: "env", Value: "pr\u200bod"}, []string{"value"}, "invisible"},
		{"value invalid utf-8", Label{Key: "env", Value: "pr\xffod"}, []string{"value"}, ""},
		{"both bad", Label{Key: "x", Value: ""}, []string{"key", "value"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkFindings(t, ValidateLabel(tc.l, dims), nil, tc.paths, nil, tc.msg)
		})
	}
}

// nameCases are the rows every named object shares: the one name rule.
var nameCases = []struct {
	name, value string
	valid       bool
}{
	{"name plain", "web tier", true},
	{"name unicode", "Zürich — front 🌐", true},
	{"name 128 characters", strings.Repeat("é", 128), true},
	{"name missing", "", false},
	{"name blank", "   ", false},
	{"name too long", strings.Repeat("a", 129), false},
	{"name leading space", " web", false},
	{"name trailing space", "web ", false},
	{"name tab", "web\ttier", false},
	{"name NUL", "web\x00", false},
	{"name bidi override", "web\u202etxt", false},
	{"name no-break space", "web\u00a0tier", false},
	{"name invalid utf-8", "web\xff", false},
}

// descriptionCases are the description rows every object shares.
var descriptionCases = []struct {
	name, value string
	valid       bool
}{
	{"description empty", "", true},
	{"description multi-line", "first line\n\tsecond line", true},
	{"description 1024 characters", strings.Repeat("é", 1024), true},
	{"description too long", strings.Repeat("a", 1025), false},
	{"description control char", "bell\a", false},
	{"description invalid utf-8", "\xff", false},
}

// TestNamesAndDescriptions runs the shared name and description rows
// against every validator that has them.
func TestNamesAndDescriptions(t *testing.T) {
	c := worldPolicy().Catalog(nil)
	validators := map[string]func(name, desc string) error{
		"label group": func(n, d string) error {
			g := group("g", "env", "env=prod")
			g.Name, g.Description = n, d
			_, err := ValidateLabelGroup(&g, c)
			return err
		},
		"service": func(n, d string) error {
			return ValidateService(&Service{Name: n, Description: d, Ports: []Port{port("tcp/80")}})
		},
		"ip list": func(n, d string) error {
			_, err := ValidateIPList(&IPList{Name: n, Description: d, Ranges: []string{"10.0.0.0/8"}})
			return err
		},
		"ruleset": func(n, d string) error {
			rs := rset("r", nil, rule(Allow, "*", "*", "any"))
			rs.Name, rs.Description = n, d
			_, err := ValidateRuleset(&rs, c)
			return err
		},
	}
	for kind, validate := range validators {
		for _, tc := range nameCases {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				var want []string
				if !tc.valid {
					want = []string{"name"}
				}
				checkFindings(t, validate(tc.value, ""), nil, want, nil, "")
			})
		}
		for _, tc := range descriptionCases {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				var want []string
				if !tc.valid {
					want = []string{"description"}
				}
				checkFindings(t, validate("n", tc.value), nil, want, nil, "")
			})
		}
	}
	// Workload names may be longer.
	w := workload(strings.Repeat("w", 255), "env=prod")
	checkFindings(t, ValidateWorkload(&w, c), nil, nil, nil, "")
	w.Name += "w"
	checkFindings(t, ValidateWorkload(&w, c), nil, []string{"name"}, nil, "must be 1 to 255 characters")
}
