package enforce

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Names of the table's fixed objects.
const (
	chainInput     = "input"
	chainOutput    = "output"
	counterDropped = "dropped"    // packets dropped by a deny class or a drop default
	counterWould   = "would_drop" // packets accepted that full enforcement would drop
)

// setName derives the nft set name of one family of a document set:
// "s<id>_v4". Ids made of letters, digits and underscores (the PCE's are)
// are kept readable; any other id is sanitized and suffixed with a hash of
// the original, so two ids never share a name and every name is a plain
// nft identifier well under the kernel's 256-byte limit.
func setName(id string, v4 bool) string {
	fam := "_v6"
	if v4 {
		fam = "_v4"
	}
	if len(id) <= 64 && !strings.ContainsFunc(id, func(r rune) bool { return !isNameRune(r) }) {
		return "s" + id + fam
	}
	clean := strings.Map(func(r rune) rune {
		if isNameRune(r) {
			return r
		}
		return '_'
	}, id)
	if len(clean) > 32 {
		clean = clean[:32]
	}
	sum := sha256.Sum256([]byte(id))
	return "s" + clean + "_" + hex.EncodeToString(sum[:8]) + fam
}
