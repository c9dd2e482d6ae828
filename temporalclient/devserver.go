package temporalclient

// DevServerDynamicConfig is the dynamic configuration a dev server (temporal
// server start-dev) gets in the demo and the scale benchmark, so it is
// tuned as a production cluster is: the dev server's default lets the
// history service poll its transfer queue about every 50 ms, which each
// workflow step waits for (OnboardUser p50 650 ms untuned, about 120 ms
// tuned; BENCHMARKS.md "Scale").
var DevServerDynamicConfig = []string{
	"history.transferProcessorMaxPollRPS=1000",
}

// DevServerArgs are DevServerDynamicConfig as temporal server start-dev
// arguments.
func DevServerArgs() []string {
	args := make([]string, 0, 2*len(DevServerDynamicConfig))
	for _, kv := range DevServerDynamicConfig {
		args = append(args, "--dynamic-config-value", kv)
	}
	return args
}
