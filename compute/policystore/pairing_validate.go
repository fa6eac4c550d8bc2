package policystore

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/usererr"
)

// validateProfile checks in and returns the profile it describes (without
// id or metadata). Every bad field is reported at once, by its JSON name.
// The labels it names are locked against a concurrent DeleteLabel, which
// then waits for this transaction and sees its profile among the users.
func validateProfile(ctx context.Context, tx pgx.Tx, in PairingProfileInput) (PairingProfile, error) {
	var f usererr.Fields
	p := PairingProfile{Name: in.Name, Mode: in.Mode, Labels: nonNil(in.Labels)}
	if msg := profileNameProblem(in.Name); msg != "" {
		f.Add("name", msg)
	}
	if p.Mode == "" {
		p.Mode = DefaultMode
	}
	switch p.Mode {
	case policy.Idle, policy.VisibilityOnly, policy.Selective, policy.Full:
	default:
		f.Add("enforcement_mode", fmt.Sprintf("must be one of idle, visibility_only, selective, full, got %q", in.Mode))
	}
	switch {
	case in.MaxUses != nil && in.Unlimited:
		f.Add("unlimited", "cannot be true when max_uses is set: give one or the other")
	case in.MaxUses == nil && !in.Unlimited:
		f.Add("max_uses", "is required: the number of hosts each token may pair, or set unlimited: true instead")
	case in.MaxUses != nil && *in.MaxUses < 1:
		f.Add("max_uses", fmt.Sprintf("must be from 1 to %d, got %d", MaxPairingUses, *in.MaxUses))
	case in.MaxUses != nil && *in.MaxUses > MaxPairingUses:
		f.Add("max_uses", fmt.Sprintf("must be from 1 to %d, got %d: for more, set unlimited: true instead", MaxPairingUses, *in.MaxUses))
	default:
		p.MaxUses = in.MaxUses
	}
	var msg string
	if p.Lifetime, msg = parseLifetime(in.Lifetime); msg != "" {
		f.Add("lifetime", msg)
	}
	if err := checkProfileLabels(ctx, tx, p.Labels, &f); err != nil {
		return p, err
	}
	return p, f.Err()
}

// profileNameProblem says what is wrong with a profile name, "" if nothing.
func profileNameProblem(name string) string {
	switch {
	case strings.TrimSpace(name) == "":
		return "is required"
	case utf8.RuneCountInString(name) > MaxPairingProfileName:
		return fmt.Sprintf("must be 1 to %d characters", MaxPairingProfileName)
	case !utf8.ValidString(name) || strings.ContainsFunc(name, func(r rune) bool { return !unicode.IsGraphic(r) }):
		return "must not contain control or invisible characters"
	case strings.TrimSpace(name) != name:
		return "must not start or end with a space"
	}
	return ""
}

// parseLifetime reads a token lifetime, a Go duration such as "72h", and
// says what is wrong with it if anything is.
func parseLifetime(s string) (time.Duration, string) {
	if s == "" {
		return 0, "is required: how long each token stays valid, such as 72h or 30m"
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return 0, fmt.Sprintf("must be a duration such as 72h, 90m or 1h30m, got %q", s)
	case d < MinPairingLifetime || d > MaxPairingLifetime:
		return 0, fmt.Sprintf("must be from 1m to 8760h (365 days), got %q", s)
	case d%time.Second != 0:
		return 0, fmt.Sprintf("must be a whole number of seconds, got %q", s)
	}
	return d, ""
}

// checkProfileLabels adds to f what is wrong with labels: unknown ids, two
// of one key, too many. It locks the existing ones FOR KEY SHARE.
func checkProfileLabels(ctx context.Context, tx pgx.Tx, labels []policy.LabelID, f *usererr.Fields) error {
	if len(labels) > policy.MaxDimensions {
		f.Add("labels", fmt.Sprintf("must hold at most %d labels: one per key", policy.MaxDimensions))
		return nil
	}
	valid := make([]string, 0, len(labels))
	for _, l := range labels {
		if ids.Valid(string(l)) {
			valid = append(valid, string(l))
		}
	}
	rows, err := tx.Query(ctx, `SELECT id::text, key FROM labels WHERE id = ANY($1::uuid[]) ORDER BY id FOR KEY SHARE`, valid)
	if err != nil {
		return fmt.Errorf("lock labels: %w", err)
	}
	keys := map[string]string{}
	var id, key string
	_, err = pgx.ForEachRow(rows, []any{&id, &key}, func() error { keys[id] = key; return nil })
	if err != nil {
		return fmt.Errorf("lock labels: %w", err)
	}
	seen := map[string]int{}
	for i, l := range labels {
		k, ok := keys[string(l)]
		switch {
		case l == "":
			f.Add(fmt.Sprintf("labels[%d]", i), "is required")
		case !ok:
			f.Add(fmt.Sprintf("labels[%d]", i), fmt.Sprintf("label %q not found", l))
		default:
			if j, dup := seen[k]; dup {
				f.Add(fmt.Sprintf("labels[%d]", i), fmt.Sprintf("second label of key %q (also labels[%d]): a host gets at most one value per key", k, j))
				continue
			}
			seen[k] = i
		}
	}
	return nil
}
