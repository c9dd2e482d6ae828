package benchscale

import (
	"fmt"
	"strings"
	"time"
)

// Markdown is the report as BENCHMARKS.md's "Scale" section.
func (r *Report) Markdown(command string) string {
	var b strings.Builder
	b.WriteString("## Scale\n\n")
	b.WriteString("Written by `make bench-scale` (`internal/benchscale`); each run replaces this section.\n\n")
	fmt.Fprintf(&b, "```sh\n%s\n```\n\n", command)
	fmt.Fprintf(&b, "Measured %s, took %s. Machine: %s (load average as the run ended).\n\n",
		r.Started.UTC().Format("2006-01-02 15:04 UTC"), r.Took.Round(time.Second), r.Machine)
	b.WriteString("| figure | measured | goal | met |\n|---|---|---|---|\n")
	cell := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }
	for _, row := range r.Rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", cell(row.What), cell(row.Figure), cell(row.Goal), row.Met)
	}
	return b.String()
}

// ReplaceSection puts section (starting "## Title") into doc in place of
// the section of the same title, or at the end when doc has none.
func ReplaceSection(doc, section string) string {
	title, _, _ := strings.Cut(section, "\n")
	section = strings.TrimRight(section, "\n") + "\n"
	start := -1
	if strings.HasPrefix(doc, title+"\n") {
		start = 0
	} else if i := strings.Index(doc, "\n"+title+"\n"); i >= 0 {
		start = i + 1
	}
	if start < 0 {
		return strings.TrimRight(doc, "\n") + "\n\n" + section
	}
	rest := doc[start+len(title)+1:]
	if j := strings.Index(rest, "\n## "); j >= 0 {
		return doc[:start] + section + rest[j:]
	}
	return doc[:start] + section
}
