// Command stixgen writes a bundle of generated STIX 2.1 objects to stdout,
// for benchmarks: stixgen -n 25000 > bundle.json
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"

	"github.com/liaison-intel/liaison/internal/stixgen"
)

func main() {
	n := flag.Int("n", 25000, "number of objects")
	seed := flag.Uint64("seed", 1, "random seed")
	creator := flag.String("creator", "", "created_by_ref of generated SDOs and SROs")
	flag.Parse()
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	if err := stixgen.New(*seed, *creator).WriteBundle(w, *n); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
