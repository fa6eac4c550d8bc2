package policy

import "fmt"

// ValidateLabelGroup checks g against c: its name, its key, and that every
// member exists, has g's key, and appears once. Nested groups must not lead
// back to g. c may hold an older version of g itself (an update): the walk
// stops on reaching g, so only the members given here count for g.
// It warns when g has no member at all.
func ValidateLabelGroup(g *LabelGroup, c Catalog) ([]Warning, error) {
	return validateLabelGroup(g, c).result()
}

func validateLabelGroup(g *LabelGroup, c Catalog) *report {
	r := new(report)
	checkName(r, "name", g.Name, maxNameLen)
	checkDescription(r, "description", g.Description)
	checkDimension(r, "key", g.Key)

	seenLabels := firstSeen[LabelID]{}
	for i, id := range g.Labels {
		path := at("labels", i)
		l, ok := c.Label(id)
		switch j, dup := seenLabels.dup(id, i); {
		case id == "":
			r.fail(path, "is required")
		case dup:
			r.failf(path, "label %q is listed twice: also labels[%d]", id, j)
		case !ok:
			r.failf(path, "label %q not found", id)
		case g.Key != "" && l.Key != g.Key:
			r.failf(path, "%s has key %q, not the group's key %q", describeLabel(c, id), l.Key, g.Key)
		}
	}

	seenGroups := firstSeen[LabelGroupID]{}
	for i, id := range g.Groups {
		path := at("groups", i)
		h, ok := c.LabelGroup(id)
		switch j, dup := seenGroups.dup(id, i); {
		case id == "":
			r.fail(path, "is required")
		case dup:
			r.failf(path, "label group %q is listed twice: also groups[%d]", id, j)
		case id == g.ID:
			r.fail(path, "a label group cannot contain itself")
		case !ok:
			r.failf(path, "label group %q not found", id)
		case g.Key != "" && h.Key != g.Key:
			r.failf(path, "%s has key %q, not the group's key %q", describeGroup(c, id), h.Key, g.Key)
		case g.ID != "" && reaches(c, id, g.ID):
			r.failf(path, "%s contains this group: nesting it here would make a cycle", describeGroup(c, id))
		}
	}

	if len(g.Labels) == 0 && len(g.Groups) == 0 {
		r.warn("labels", "empty group matches no workload")
	}
	return r
}

// reaches reports whether target is from, or nested in from at any depth.
// Each group is visited once, so a cycle elsewhere in c cannot trap it.
func reaches(c Catalog, from, target LabelGroupID) bool {
	seen := map[LabelGroupID]bool{from: true}
	for todo := []LabelGroupID{from}; len(todo) > 0; {
		id := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if id == target {
			return true
		}
		g, _ := c.LabelGroup(id)
		for _, sub := range g.Groups {
			if !seen[sub] {
				seen[sub] = true
				todo = append(todo, sub)
			}
		}
	}
	return false
}

// describeGroup names a label group for messages: its id, and its name
// when known.
func describeGroup(c Catalog, id LabelGroupID) string {
	if g, ok := c.LabelGroup(id); ok {
		return fmt.Sprintf("label group %q (%q)", id, g.Name)
	}
	return fmt.Sprintf("label group %q", id)
}
