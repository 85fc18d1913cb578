// Package mdsection lets several programs write one Markdown file: each
// owns a section between the comments <!-- NAME --> and <!-- /NAME -->
// and regenerates it without touching the rest.
package mdsection

import "strings"

func markers(name string) (begin, end string) {
	return "<!-- " + name + " -->", "<!-- /" + name + " -->"
}

// Extract returns the section name of doc, markers included, or "".
func Extract(doc, name string) string {
	begin, end := markers(name)
	i := strings.Index(doc, begin)
	if i < 0 {
		return ""
	}
	j := strings.Index(doc[i:], end)
	if j < 0 {
		return ""
	}
	return doc[i : i+j+len(end)]
}

// Replace returns doc with section name replaced by body (markers
// added), or with it appended if doc has no such section.
func Replace(doc, name, body string) string {
	begin, end := markers(name)
	section := begin + "\n" + strings.TrimRight(body, "\n") + "\n" + end
	if old := Extract(doc, name); old != "" {
		return strings.Replace(doc, old, section, 1)
	}
	if doc != "" && !strings.HasSuffix(doc, "\n\n") {
		doc = strings.TrimRight(doc, "\n") + "\n\n"
	}
	return doc + section + "\n"
}

// Keep returns generated with the section name of old appended, if old
// has one: for a program that regenerates a whole file around another
// program's section.
func Keep(generated, old, name string) string {
	s := Extract(old, name)
	if s == "" {
		return generated
	}
	return strings.TrimRight(generated, "\n") + "\n\n" + s + "\n"
}
