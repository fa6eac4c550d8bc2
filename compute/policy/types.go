package policy

// Typed ids: a label id can never be passed where a service id is wanted.
// All are UUIDs in canonical form.
type (
	LabelID      string
	LabelGroupID string
	ServiceID    string
	IPListID     string
	RulesetID    string
	RuleID       string
	WorkloadID   string
)

// Kind names a versioned policy object type. Labels and workloads are not
// versioned and have no Kind.
type Kind string

const (
	KindLabelGroup Kind = "label_group"
	KindService    Kind = "service"
	KindIPList     Kind = "ip_list"
	KindRuleset    Kind = "ruleset"
)

// Kinds lists the versioned kinds in dependency order: an object refers only
// to objects of kinds before its own (label groups to label groups too).
var Kinds = []Kind{KindLabelGroup, KindService, KindIPList, KindRuleset}

// DefaultDimensions are the label keys every tenant starts with.
var DefaultDimensions = []string{"role", "app", "env", "loc"}

// MaxDimensions is the most label keys a tenant may have, defaults included.
const MaxDimensions = 16

// Label is one key=value pair; (Key, Value) is unique per tenant.
type Label struct {
	ID    LabelID `json:"id"`
	Key   string  `json:"key"`
	Value string  `json:"value"`
}

// LabelGroup names a set of labels of one key, and of other groups of the
// same key (nesting, never cyclic). In a label set it counts as its key:
// ORed with same-key labels, ANDed with other keys.
type LabelGroup struct {
	ID          LabelGroupID   `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	Key         string         `json:"key"`
	Labels      []LabelID      `json:"labels"`
	Groups      []LabelGroupID `json:"groups"`
}

// Proto is a service's protocol.
type Proto string

const (
	ProtoTCP    Proto = "tcp"
	ProtoUDP    Proto = "udp"
	ProtoICMP   Proto = "icmp"
	ProtoICMPv6 Proto = "icmpv6"
	ProtoAny    Proto = "any" // every protocol and port
)

// Port is one protocol entry of a service. For tcp and udp, Port..ToPort is
// an inclusive range (ToPort 0 means just Port; Port 0 means every port).
// For icmp and icmpv6, ICMPType and ICMPCode narrow the match when set
// (a code needs a type). ProtoAny takes no other field.
type Port struct {
	Proto    Proto `json:"proto,omitempty"`
	Port     int   `json:"port,omitempty"`
	ToPort   int   `json:"to_port,omitempty"`
	ICMPType *int  `json:"icmp_type,omitempty"`
	ICMPCode *int  `json:"icmp_code,omitempty"`
}

// Service is a named list of ports.
type Service struct {
	ID          ServiceID `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Ports       []Port    `json:"ports"`
}

// IPList is a named set of addresses: the union of Ranges minus the union
// of Exclusions. Each entry is an address ("10.0.0.1"), a prefix with no
// host bits ("10.0.0.0/8") or an inclusive range ("10.0.0.1-10.0.0.9");
// IPv4 and IPv6 may mix across entries, never within one.
type IPList struct {
	ID          IPListID `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Ranges      []string `json:"ranges"`
	Exclusions  []string `json:"exclusions"`
}

// LabelRef is one term of a scope or label set: exactly one of Label and
// LabelGroup is set.
type LabelRef struct {
	Label      LabelID      `json:"label,omitempty"`
	LabelGroup LabelGroupID `json:"label_group,omitempty"`
}

// Scope is a label set: terms of different keys ANDed, of one key ORed.
type Scope []LabelRef

// Actor is one entry of a rule's providers or consumers: exactly one field
// is set. Within one side of a rule, the Label and LabelGroup entries
// together form one label set (AND across keys, OR within a key); that set,
// AllWorkloads, each IPList and each Workload are alternatives (ORed).
type Actor struct {
	AllWorkloads bool         `json:"all_workloads,omitempty"`
	Label        LabelID      `json:"label,omitempty"`
	LabelGroup   LabelGroupID `json:"label_group,omitempty"`
	IPList       IPListID     `json:"ip_list,omitempty"`
	Workload     WorkloadID   `json:"workload,omitempty"`
}

// ServiceRef is one entry of a rule's services: a named Service, or an
// inline Port when Service is empty.
type ServiceRef struct {
	Service ServiceID `json:"service,omitempty"`
	Port
}

// Action is what a matching rule does.
type Action string

const (
	Allow        Action = "allow"
	Deny         Action = "deny"
	OverrideDeny Action = "override_deny" // beats every allow
)

// Rule says which consumers (sources) may or may not reach which providers
// (destinations) on which services. Providers are always constrained to the
// ruleset's scope; consumers too, unless UnscopedConsumers (an extra-scope
// rule).
type Rule struct {
	ID                RuleID       `json:"id"`
	Description       string       `json:"description,omitempty"`
	Enabled           *bool        `json:"enabled,omitempty"` // nil means true
	Action            Action       `json:"action"`
	Providers         []Actor      `json:"providers"`
	Consumers         []Actor      `json:"consumers"`
	Services          []ServiceRef `json:"services"`
	UnscopedConsumers bool         `json:"unscoped_consumers,omitempty"`
}

// Ruleset groups rules under scopes: it applies to a workload matching any
// scope, or to every workload when it has none.
type Ruleset struct {
	ID          RulesetID `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Enabled     *bool     `json:"enabled,omitempty"` // nil means true
	Scopes      []Scope   `json:"scopes"`
	Rules       []Rule    `json:"rules"`
}

// IsEnabled reports whether the ruleset takes part in decisions.
func (rs *Ruleset) IsEnabled() bool { return rs.Enabled == nil || *rs.Enabled }

// IsEnabled reports whether the rule takes part in decisions.
func (r *Rule) IsEnabled() bool { return r.Enabled == nil || *r.Enabled }

// Mode is a workload's enforcement mode.
type Mode string

const (
	Idle           Mode = "idle"            // nothing programmed: everything passes
	VisibilityOnly Mode = "visibility_only" // nothing dropped; would-be drops reported
	Selective      Mode = "selective"       // deny rules enforced, default allow
	Full           Mode = "full"            // default deny inbound
)

// Interface is a named network interface of a workload and its addresses.
type Interface struct {
	Name      string   `json:"name"`
	Addresses []string `json:"addresses"`
}

// Workload is a host (or VM, or container) that rules select by its labels.
// Workloads are not versioned: a change takes effect at once.
type Workload struct {
	ID         WorkloadID  `json:"id"`
	Name       string      `json:"name"`
	Hostname   string      `json:"hostname,omitempty"`
	Interfaces []Interface `json:"interfaces"`
	Labels     []LabelID   `json:"labels"`
	Mode       Mode        `json:"enforcement_mode"`
	Managed    bool        `json:"managed"` // created by a paired VEN, not the API
}

// Settings are the tenant-wide switches that shape decisions; they are not
// versioned and not part of the exported document.
type Settings struct {
	OutboundEnforcement bool `json:"-"`
}

// Policy is one complete state of a tenant's policy: a version, the draft,
// or an import/export document. Labels are included so that the document
// stands alone; they are shared by every version.
type Policy struct {
	Labels      []Label      `json:"labels"`
	LabelGroups []LabelGroup `json:"label_groups"`
	Services    []Service    `json:"services"`
	IPLists     []IPList     `json:"ip_lists"`
	Rulesets    []Ruleset    `json:"rulesets"`
	Settings    Settings     `json:"-"`
}
