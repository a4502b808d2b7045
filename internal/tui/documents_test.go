package tui

import (
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/tui/pages/document"
	"github.com/orgd/orgd/internal/tui/pages/documents"
	"github.com/orgd/orgd/internal/tui/remote/remotetest"
	"github.com/orgd/orgd/rpc"
)

// sampleDocuments are the documents of Acme Corp in the golden screens and
// the flow below.
var sampleDocuments = []string{
	`{"_id": {"$oid": "65f1c0ffee00000000000001"}, "name": "Ada Lovelace", "email": "ada@acme.example", "age": 36, "tags": ["math", "poetry"]}`,
	`{"_id": {"$oid": "65f1c0ffee00000000000002"}, "name": "Grace Hopper", "email": "grace@acme.example", "rank": "Rear Admiral", "joined": {"$date": "1943-12-01T00:00:00Z"}}`,
	`{"_id": {"$oid": "65f1c0ffee00000000000003"}, "name": "Zoë Müller", "city": "Zürich", "balance": {"$numberDecimal": "1234.50"}, "active": true}`,
	`{"_id": {"$oid": "65f1c0ffee00000000000004"}, "name": "Katherine Johnson", "email": "kj@acme.example", "address": {"city": "Hampton", "state": "VA"}, "orbits": {"$numberLong": "9007199254740993"}}`,
	`{"_id": "invoice-2024-001", "total": 1999.99, "paid": false, "lines": [{"sku": "A-1", "qty": 2}, {"sku": "B-7", "qty": 1}], "note": "a note with \"quotes\" and a\nline break that is far too long to fit on one row of the table"}`,
	`{"_id": 42, "empty": {}, "none": null}`,
}

// acmeWithDocuments is an orgd with an operator and Acme Corp holding
// sampleDocuments.
func acmeWithDocuments() *remotetest.Fake {
	f := operatorFake(remotetest.NewOrg("Acme Corp", "admin@acme.example"), remotetest.NewOrg("Beta", "b@beta.example"))
	f.PutDocuments("Acme Corp", sampleDocuments...)
	return f
}

// openDocuments logs in and opens the documents of Acme Corp.
func (a *app) openDocuments() {
	a.t.Helper()
	a.login()
	a.d.Press("enter") // Acme Corp's detail
	a.d.Press("enter") // its documents
	a.wantScreen("orgtui › Acme Corp › documents")
}

func (a *app) top() any { return a.model().top() }

func TestTheDocumentBrowserFromTheDetailPage(t *testing.T) {
	t.Parallel()
	a := startApp(t, acmeWithDocuments(), 80, 24)
	a.openDocuments()
	a.wantScreen("…00000001", `name: "Ada Lovelace"`, "1 of 6", "enter view • i insert • e edit • x delete")

	// Insert one through the editor.
	a.editor.Write(`{"_id": "new-one", "name": "Hedy Lamarr", "patents": 1}`)
	a.d.Press("i")
	a.wantScreen("✓ inserted document \"new-one\"", `name: "Hedy Lamarr"`, "of 7")

	// Filter to it.
	a.d.Press("/")
	a.d.Type(`{"name": "Hedy Lamarr"}`)
	a.d.Press("enter")
	a.wantScreen(`filter: {"name":"Hedy Lamarr"}`, "1 of 1")
	if strings.Contains(a.screen(), "Ada Lovelace") {
		t.Errorf("the filter still lists Ada:\n%s", a.screen())
	}

	// View it, then edit it.
	a.d.Press("enter")
	a.wantScreen(`orgtui › Acme Corp › "new-one"`, `"patents": 1`, "↑/↓ scroll • e edit • x delete")
	a.editor.Write(`{"_id": "new-one", "name": "Hedy Lamarr", "patents": 2}`)
	a.d.Press("e")
	a.wantScreen(`"patents": 2`, "✓ saved document \"new-one\"")
	a.d.Press("esc")
	a.wantScreen(`patents: 2`, `filter: {"name":"Hedy Lamarr"}`)

	// Delete it from its page: enter does nothing until the word is typed,
	// escape cancels, the word and enter delete.
	a.d.Press("enter", "x")
	a.wantScreen("Delete this document?", "Type delete to delete it:", "[ Cancel ]")
	a.d.Press("enter")
	a.wantScreen("Delete this document?", "Nothing was done")
	a.d.Press("esc")
	if _, ok := a.top().(document.Model); !ok {
		t.Fatalf("escape leaves %T on top, want the document", a.top())
	}
	if n := len(a.fake.CallsOf(rpc.MethodDataDelete)); n != 0 {
		t.Fatalf("enter without the word or escape deleted (%d calls)", n)
	}
	a.d.Press("x")
	a.d.Type("delete")
	a.d.Press("enter")
	if _, ok := a.top().(documents.Model); !ok {
		t.Fatalf("after deleting, %T is on top, want the documents", a.top())
	}
	a.wantScreen("✓ deleted document \"new-one\"", "No document matches the filter.")
	if n := len(a.fake.Documents("Acme Corp")); n != len(sampleDocuments) {
		t.Errorf("the collection holds %d documents, want %d", n, len(sampleDocuments))
	}

	// esc clears the filter, then goes back to the detail.
	a.d.Press("esc")
	a.wantScreen("1 of 6")
	a.d.Press("esc")
	a.wantScreen("orgtui › Acme Corp", "Collection    org_acme_corp")
}

func TestAnAdminMayBrowseDocuments(t *testing.T) {
	t.Parallel()
	fake := acmeWithDocuments()
	fake.Role = rpc.RoleAdmin
	a := startApp(t, fake, 80, 24)
	a.openDocuments()
	a.wantScreen(`name: "Ada Lovelace"`)
}
