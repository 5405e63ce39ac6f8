package admin

import (
	"reflect"
	"testing"
)

// Every operation the API serves has its call in Client, and every call of
// Client is an operation or one of the daemon's hooks: a hand-kept mirror
// that the compiler and this test hold to the one interface.
func TestClientCallsEveryOperation(t *testing.T) {
	// Operations whose call has another name, or none: the metrics and
	// the store are reached through their own endpoints.
	callOf := map[string][]string{
		"SessionDetail":     {"Session"},
		"MoveSession":       {"Move"},
		"CancelSessionWith": {"Cancel"},
		"PreviewEML":        {"Preview"},
		"PreviewEMLAt":      {"PreviewAt"},
		"ResolveReview":     {"Resolve"},
		"CalendarFeed":      {"Calendar"},
		"Snapshot":          nil, // GET /metrics, read by Prometheus
		"Store":             {"Backup", "Health"},
	}
	hooks := map[string]bool{"Flush": true, "Sync": true}
	client := reflect.TypeOf(&Client{})
	ops := reflect.TypeOf((*Operations)(nil)).Elem()
	called := map[string]bool{}
	for i := 0; i < ops.NumMethod(); i++ {
		op := ops.Method(i).Name
		calls, renamed := callOf[op]
		if !renamed {
			calls = []string{op}
		}
		for _, c := range calls {
			if _, ok := client.MethodByName(c); !ok {
				t.Errorf("operation %s has no call Client.%s", op, c)
			}
			called[c] = true
		}
	}
	for i := 0; i < client.NumMethod(); i++ {
		if c := client.Method(i).Name; !called[c] && !hooks[c] {
			t.Errorf("Client.%s calls no operation and no hook", c)
		}
	}
}
