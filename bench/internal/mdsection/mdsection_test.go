package mdsection

import "testing"

func TestReplaceAndKeep(t *testing.T) {
	doc := Replace("# Results\n\ntable\n", "serverbench", "## Servers\n\nfirst\n")
	want := "# Results\n\ntable\n\n<!-- serverbench -->\n## Servers\n\nfirst\n<!-- /serverbench -->\n"
	if doc != want {
		t.Fatalf("appended:\n%q\nwant\n%q", doc, want)
	}
	doc = Replace(doc, "serverbench", "## Servers\n\nsecond")
	if Extract(doc, "serverbench") != "<!-- serverbench -->\n## Servers\n\nsecond\n<!-- /serverbench -->" {
		t.Fatalf("replaced:\n%s", doc)
	}
	if got := Keep("# New results\n", doc, "serverbench"); got != "# New results\n\n"+Extract(doc, "serverbench")+"\n" {
		t.Fatalf("kept:\n%q", got)
	}
	if got := Keep("# New\n", "# Old\n", "serverbench"); got != "# New\n" {
		t.Fatalf("nothing to keep: %q", got)
	}
	if Replace("", "x", "a") != "<!-- x -->\na\n<!-- /x -->\n" {
		t.Fatal("empty document")
	}
}
