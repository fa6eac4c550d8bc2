package webopenapi

import (
	"net/http"
	"slices"
	"testing"
)

// TestLoad keeps the embedded spec loadable and valid, so a bad edit to
// openapi.yaml fails here rather than at server start.
func TestLoad(t *testing.T) {
	doc, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
	ids := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" || ids[op.OperationID] {
				t.Errorf("%s %s: missing or duplicate operationId %q", method, path, op.OperationID)
			}
			ids[op.OperationID] = true
			if op.Responses.Status(http.StatusInternalServerError) == nil && path != "/readyz" {
				t.Errorf("%s %s: no 500 response", method, path)
			}
		}
	}
	want := []string{
		"bulkCreateWorkloads", "bulkDeleteWorkloads", "bulkUpdateWorkloads", "checkPolicy",
		"checkPolicyBatch", "createApiKey", "createIpList", "createLabel", "createLabelDimension",
		"createLabelGroup", "createRuleset", "createService", "createUser", "createWorkload",
		"deleteApiKey", "deleteIpList", "deleteLabel", "deleteLabelDimension", "deleteLabelGroup",
		"deleteRuleset", "deleteService", "deleteTenant", "deleteUser", "deleteWorkload",
		"exportPolicy", "getApiKey", "getHealth", "getIpList", "getLabel", "getLabelGroup",
		"getMetrics", "getOpenAPISpec", "getPolicyDiff", "getPolicyStatus", "getPolicyVersion", "getReady",
		"getRuleset", "getService", "getTenant", "getUser", "getWorkload", "getWorkloadRules", "importPolicy",
		"listApiKeys", "listIpLists", "listLabelDimensions", "listLabelGroups", "listLabels",
		"listPolicyVersions", "listRulesets", "listServices", "listUsers", "listWorkloads",
		"login", "logout", "provisionPolicy", "refreshToken", "revertPolicy", "rollbackPolicy",
		"signup", "updateIpList", "updateLabel", "updateLabelGroup", "updateRuleset",
		"updateService", "updateUser", "updateWorkload",
		// Pairing profiles and install tokens.
		"createPairingProfile", "createPairingToken", "deletePairingProfile", "getPairingProfile",
		"listPairingProfiles", "listPairingTokens", "revokePairingToken", "updatePairingProfile",
		// The VEN channel's REST side.
		"pairVen", "listVens", "getVen", "unpairVen", "getInstallScript", "getAgentBinary", "getAgentUnit",
		// Webhooks and their delivery log.
		"listWebhooks", "createWebhook", "getWebhook", "updateWebhook", "deleteWebhook", "rotateWebhookSecret",
		"listWebhookDeliveries", "redeliverWebhookDelivery", "testWebhook",
		// Events (the audit log).
		"listEvents",
	}
	slices.Sort(want)
	var got []string
	for id := range ids {
		got = append(got, id)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("operationIds = %v\nwant %v", got, want)
	}
}
