package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/olflow/olflow/internal/buildinfo"
)

func (a *app) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print this build's version and build ID",
		Long: `Print the release this binary was built from and its build ID. A worker
started with a deployment name (OLFLOW_DEPLOYMENT_NAME) declares this build
ID to Temporal unless OLFLOW_BUILD_ID overrides it; 'make build' links
VERSION+<git short sha>. Roll a build out with:

  temporal worker deployment set-current-version \
    --deployment-name olflow --build-id "$(olflow version --json | jq -r .build_id)"`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			info := buildinfo.Get()
			return a.emit(info, func(w io.Writer) {
				fmt.Fprintf(w, "olflow %s\nbuild ID: %s\n", info.Version, info.BuildID)
				if info.Commit != "" {
					dirty := ""
					if info.Modified {
						dirty = " (uncommitted changes)"
					}
					fmt.Fprintf(w, "commit:   %s%s\n", info.Commit, dirty)
				}
				fmt.Fprintf(w, "go:       %s\n", info.GoVersion)
			})
		},
	}
}
