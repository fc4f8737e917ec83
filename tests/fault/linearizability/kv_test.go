package main

import (
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

func check(t *testing.T, history string) Result {
	t.Helper()
	calls, err := Load(strings.NewReader(history))
	if err != nil {
		t.Fatal(err)
	}
	return Check(calls, 10*time.Second)
}

func expect(t *testing.T, history string, want porcupine.CheckResult, violations int) {
	t.Helper()
	r := check(t, history)
	if r.Overall != want || len(r.Illegal) != violations {
		t.Fatalf("got %s with violations %v, want %s with %d", r.Overall, r.Illegal, want, violations)
	}
}

// A read returns a value that an acknowledged later write had already replaced.
func TestStaleReadIsAViolation(t *testing.T) {
	expect(t, `[
		{"client":0,"op":"put","key":"k","value":"a","call":0,"return":10},
		{"client":0,"op":"put","key":"k","value":"b","call":20,"return":30},
		{"client":1,"op":"get","key":"k","call":40,"return":50,"read":"a"}
	]`, porcupine.Illegal, 1)
}

// An acknowledged compare-and-swap vanishes: a later read sees the value it replaced.
func TestLostCasWriteIsAViolation(t *testing.T) {
	expect(t, `[
		{"client":0,"op":"put","key":"k","value":"1","call":0,"return":10},
		{"client":1,"op":"cas","key":"k","expected":"1","value":"2","call":20,"return":30,"ok":true},
		{"client":2,"op":"get","key":"k","call":40,"return":50,"read":"1"}
	]`, porcupine.Illegal, 1)
}

// An acknowledged put vanishes: the key reads as absent afterwards.
func TestLostPutIsAViolation(t *testing.T) {
	expect(t, `[
		{"client":0,"op":"put","key":"k","value":"x","call":0,"return":10},
		{"client":1,"op":"get","key":"k","call":20,"return":30,"read":""}
	]`, porcupine.Illegal, 1)
}

// Two compare-and-swaps from the same value cannot both succeed.
func TestDoubleCasIsAViolation(t *testing.T) {
	expect(t, `[
		{"client":0,"op":"put","key":"k","value":"0","call":0,"return":10},
		{"client":1,"op":"cas","key":"k","expected":"0","value":"1","call":20,"return":40,"ok":true},
		{"client":2,"op":"cas","key":"k","expected":"0","value":"2","call":25,"return":45,"ok":true}
	]`, porcupine.Illegal, 1)
}

// A compare-and-swap on a missing key fails (as etcd's value comparison does).
func TestCasOnMissingKeySucceedingIsAViolation(t *testing.T) {
	expect(t, `[
		{"client":0,"op":"cas","key":"k","expected":"x","value":"y","call":0,"return":10,"ok":true}
	]`, porcupine.Illegal, 1)
}

// Only the bad key counts: one violation among several keys.
func TestViolationsAreCountedPerKey(t *testing.T) {
	expect(t, `[
		{"client":0,"op":"put","key":"good","value":"a","call":0,"return":10},
		{"client":1,"op":"get","key":"good","call":20,"return":30,"read":"a"},
		{"client":0,"op":"put","key":"bad","value":"a","call":0,"return":10},
		{"client":0,"op":"put","key":"bad","value":"b","call":20,"return":30},
		{"client":1,"op":"get","key":"bad","call":40,"return":50,"read":"a"}
	]`, porcupine.Illegal, 1)
}

// Concurrent calls may take effect in either order; reads agree with one order.
func TestConcurrentHistoryPasses(t *testing.T) {
	expect(t, `[
		{"client":0,"op":"get","key":"k","call":0,"return":5,"read":""},
		{"client":0,"op":"put","key":"k","value":"a","call":10,"return":40},
		{"client":1,"op":"put","key":"k","value":"b","call":15,"return":35},
		{"client":2,"op":"get","key":"k","call":20,"return":30,"read":"a"},
		{"client":2,"op":"get","key":"k","call":50,"return":60,"read":"b"},
		{"client":1,"op":"cas","key":"k","expected":"b","value":"c","call":70,"return":80,"ok":true},
		{"client":0,"op":"cas","key":"k","expected":"b","value":"d","call":90,"return":100,"ok":false},
		{"client":2,"op":"get","key":"k","call":110,"return":120,"read":"c"},
		{"client":3,"op":"get","key":"other","call":0,"return":200,"read":""}
	]`, porcupine.Ok, 0)
}

// Calls with unknown outcome may take effect late, or never.
func TestUnknownOutcomes(t *testing.T) {
	// A timed-out put that shows up long after it timed out.
	expect(t, `[
		{"client":0,"op":"put","key":"k","value":"a","call":0,"return":10},
		{"client":1,"op":"put","key":"k","value":"late","call":20,"unknown":true},
		{"client":0,"op":"get","key":"k","call":30,"return":40,"read":"a"},
		{"client":0,"op":"get","key":"k","call":500,"return":510,"read":"late"}
	]`, porcupine.Ok, 0)
	// A timed-out cas that never took effect, and a timed-out get that is ignored.
	expect(t, `[
		{"client":0,"op":"put","key":"k","value":"a","call":0,"return":10},
		{"client":1,"op":"cas","key":"k","expected":"a","value":"b","call":20,"unknown":true},
		{"client":2,"op":"get","key":"k","call":30,"unknown":true,"read":"zzz"},
		{"client":0,"op":"get","key":"k","call":500,"return":510,"read":"a"}
	]`, porcupine.Ok, 0)
	// But an unknown put cannot take effect before it was invoked.
	expect(t, `[
		{"client":0,"op":"put","key":"k","value":"a","call":0,"return":10},
		{"client":0,"op":"get","key":"k","call":20,"return":30,"read":"b"},
		{"client":1,"op":"put","key":"k","value":"b","call":40,"unknown":true}
	]`, porcupine.Illegal, 1)
}

func TestBadInputIsRejected(t *testing.T) {
	for _, h := range []string{
		`[{"op":"put","key":"k","value":"","call":0,"return":1}]`,
		`[{"op":"delete","key":"k","call":0,"return":1}]`,
		`[{"op":"get","key":"k","call":5,"return":1}]`,
		`{"not":"a list"}`,
	} {
		if _, err := Load(strings.NewReader(h)); err == nil {
			t.Errorf("accepted %s", h)
		}
	}
}
