// Package main checks a history of put, get and compare-and-swap calls on a few etcd keys for
// linearizability with Porcupine. The fault suite (tests/fault) records the history as JSON.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/anishathalye/porcupine"
)

// Call is one recorded call, as the fault suite writes it.
//
// Op is "put", "get" or "cas". Value is what put or cas writes, Expected what cas compares the
// current value with. Call and Return are monotonic timestamps in nanoseconds. For a call whose
// outcome is unknown (timeout, unavailable, broken connection) Unknown is true and Return is
// ignored: it may have taken effect at any time after its invocation, or never. Ok is the
// outcome of a cas (false: the comparison failed); Read is what a get returned, "" for a key
// that does not exist (values are never empty).
type Call struct {
	Client   int    `json:"client"`
	Op       string `json:"op"`
	Key      string `json:"key"`
	Value    string `json:"value"`
	Expected string `json:"expected"`
	Call     int64  `json:"call"`
	Return   int64  `json:"return"`
	Ok       bool   `json:"ok"`
	Read     string `json:"read"`
	Unknown  bool   `json:"unknown"`
}

type input struct {
	op       string
	key      string
	value    string
	expected string
}

type output struct {
	ok      bool
	read    string
	unknown bool
}

// Load reads a JSON array of calls.
func Load(r io.Reader) ([]Call, error) {
	var calls []Call
	if err := json.NewDecoder(r).Decode(&calls); err != nil {
		return nil, fmt.Errorf("reading the history: %w", err)
	}
	for i, c := range calls {
		switch c.Op {
		case "put", "cas":
			if c.Value == "" {
				return nil, fmt.Errorf("call %d: %s of an empty value (empty means absent)", i, c.Op)
			}
		case "get":
		default:
			return nil, fmt.Errorf("call %d: unknown op %q", i, c.Op)
		}
		if !c.Unknown && c.Return < c.Call {
			return nil, fmt.Errorf("call %d returns (%d) before it is invoked (%d)", i, c.Return, c.Call)
		}
	}
	return calls, nil
}

// Operations turns calls into Porcupine operations. A get with an unknown outcome has no
// effect and is dropped; a put or cas with an unknown outcome stays pending until after the
// last call returned, so the checker may place it anywhere after its invocation (the end of
// the history standing for "never").
func Operations(calls []Call) []porcupine.Operation {
	var end int64
	for _, c := range calls {
		if c.Return > end {
			end = c.Return
		}
		if c.Call > end {
			end = c.Call
		}
	}
	ops := make([]porcupine.Operation, 0, len(calls))
	for _, c := range calls {
		if c.Unknown && c.Op == "get" {
			continue
		}
		ret := c.Return
		if c.Unknown {
			ret = end + 1
		}
		ops = append(ops, porcupine.Operation{
			ClientId: c.Client,
			Input:    input{op: c.Op, key: c.Key, value: c.Value, expected: c.Expected},
			Call:     c.Call,
			Output:   output{ok: c.Ok, read: c.Read, unknown: c.Unknown},
			Return:   ret,
		})
	}
	return ops
}

// Model is a register per key ("" = absent) with put, get and compare-and-swap; etcd's value
// comparison on a missing key always fails, and so does the model's, as values are never "".
var Model = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range history {
			k := op.Input.(input).key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		sort.Strings(keys)
		parts := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, byKey[k])
		}
		return parts
	},
	Init: func() interface{} { return "" },
	Step: func(state, in, out interface{}) (bool, interface{}) {
		s := state.(string)
		i := in.(input)
		o := out.(output)
		switch i.op {
		case "put":
			return true, i.value
		case "get":
			return o.read == s, s
		case "cas":
			holds := s != "" && s == i.expected
			next := s
			if holds {
				next = i.value
			}
			if o.unknown {
				return true, next
			}
			return o.ok == holds, next
		}
		return false, s
	},
	DescribeOperation: func(in, out interface{}) string {
		i := in.(input)
		o := out.(output)
		res := ""
		switch {
		case o.unknown:
			res = "?"
		case i.op == "get":
			res = fmt.Sprintf("%q", o.read)
		case i.op == "cas":
			res = fmt.Sprintf("%v", o.ok)
		default:
			res = "ok"
		}
		switch i.op {
		case "put":
			return fmt.Sprintf("put(%s, %q) -> %s", i.key, i.value, res)
		case "cas":
			return fmt.Sprintf("cas(%s, %q -> %q) -> %s", i.key, i.expected, i.value, res)
		}
		return fmt.Sprintf("get(%s) -> %s", i.key, res)
	},
	DescribeState: func(state interface{}) string { return fmt.Sprintf("%q", state.(string)) },
}

// Result is the outcome of checking a history.
type Result struct {
	// Overall is porcupine.Ok, Illegal, or Unknown when the timeout passed first.
	Overall porcupine.CheckResult
	// Operations is the number of operations given to the checker.
	Operations int
	// Illegal lists the keys whose history is not linearizable (each one a violation).
	Illegal []string
	// Undecided lists the keys the checker could not decide within the timeout.
	Undecided []string
	Info      porcupine.LinearizationInfo
}

// Check runs Porcupine on the calls, key by key (linearizability is local: a history is
// linearizable when the history of every key is), then on the whole for the visualization.
func Check(calls []Call, timeout time.Duration) Result {
	ops := Operations(calls)
	r := Result{Operations: len(ops)}
	deadline := time.Now().Add(timeout)
	for _, part := range Model.Partition(ops) {
		key := part[0].Input.(input).key
		left := time.Until(deadline)
		if left <= 0 {
			r.Undecided = append(r.Undecided, key)
			continue
		}
		switch porcupine.CheckOperationsTimeout(Model, part, left) {
		case porcupine.Illegal:
			r.Illegal = append(r.Illegal, key)
		case porcupine.Unknown:
			r.Undecided = append(r.Undecided, key)
		}
	}
	switch {
	case len(r.Illegal) > 0:
		r.Overall = porcupine.Illegal
		_, r.Info = porcupine.CheckOperationsVerbose(Model, ops, timeout)
	case len(r.Undecided) > 0:
		r.Overall = porcupine.Unknown
	default:
		r.Overall = porcupine.Ok
	}
	return r
}
