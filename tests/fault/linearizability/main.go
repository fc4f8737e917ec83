package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/anishathalye/porcupine"
)

// Usage: lincheck [-timeout 120s] [-html report.html] history.json
// Exit status: 0 linearizable, 1 not linearizable, 2 undecided within the timeout, 3 bad input.
func main() {
	timeout := flag.Duration("timeout", 120*time.Second, "give up (exit 2) after this long")
	html := flag.String("html", "", "on a violation, write Porcupine's visualization here")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: lincheck [-timeout d] [-html file] history.json")
		os.Exit(3)
	}
	f, err := os.Open(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	calls, err := Load(f)
	f.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	unknown := 0
	for _, c := range calls {
		if c.Unknown {
			unknown++
		}
	}
	start := time.Now()
	r := Check(calls, *timeout)
	fmt.Printf("lincheck: %d calls (%d with unknown outcome), %d operations checked, %d violations, result %s, %.1f s\n",
		len(calls), unknown, r.Operations, len(r.Illegal), r.Overall, time.Since(start).Seconds())
	for _, k := range r.Illegal {
		fmt.Printf("lincheck: the history of key %s is not linearizable\n", k)
	}
	for _, k := range r.Undecided {
		fmt.Printf("lincheck: key %s undecided within %v\n", k, *timeout)
	}
	switch r.Overall {
	case porcupine.Ok:
		os.Exit(0)
	case porcupine.Illegal:
		if *html != "" {
			if err := porcupine.VisualizePath(Model, r.Info, *html); err == nil {
				fmt.Printf("lincheck: visualization in %s\n", *html)
			}
		}
		os.Exit(1)
	default:
		os.Exit(2)
	}
}
