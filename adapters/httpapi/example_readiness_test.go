package httpapi_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/valmennus/valmennus/adapters/httpapi"
	"github.com/valmennus/valmennus/adapters/httpauth"
	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
)

// /readyz with the checks of a host that mails its notices: the store
// answers, no due notice has waited more than ten minutes, and the e-mail
// channel is not paused. A notice due half an hour ago and not yet sent
// fails the outbox check.
func ExampleOutboxCheck() {
	store := memory.New()
	now := time.Date(2026, 3, 2, 15, 0, 0, 0, coaching.Helsinki)
	clock := coaching.ClockFunc(func() time.Time { return now })
	opts, err := httpapi.EngineOptions()
	if err != nil {
		panic(err)
	}
	opts.Clock = clock
	eng, err := coaching.New(store, opts)
	if err != nil {
		panic(err)
	}
	mail := coaching.SenderFunc(func(context.Context, coaching.Notice) error { return nil })
	disp, err := coaching.NewDispatcher(store, mail, &coaching.DispatcherOptions{Clock: clock, Channel: "email"})
	if err != nil {
		panic(err)
	}
	api, err := httpapi.New(eng, &httpapi.Options{Authenticator: httpauth.NewDevIdentities(nil), Ready: []httpapi.Check{
		httpapi.StoreCheck(store),
		httpapi.OutboxCheck(store, &httpapi.OutboxCheckOptions{MaxLag: 10 * time.Minute, Clock: clock}),
		httpapi.DispatcherCheck(disp, "email"),
	}})
	if err != nil {
		panic(err)
	}
	readyz := func() {
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		fmt.Println(rec.Code)
	}
	readyz()

	err = store.Update(context.Background(), func(tx coaching.Tx) error {
		_, err := tx.Enqueue(context.Background(), coaching.Notice{ID: "n-1", Kind: "reminder", Status: coaching.NoticePending,
			CreatedAt: now.Add(-time.Hour), NotBefore: now.Add(-30 * time.Minute)})
		return err
	})
	if err != nil {
		panic(err)
	}
	readyz()
	if _, err := disp.RunOnce(context.Background()); err != nil {
		panic(err)
	}
	readyz()
	// Output:
	// 200
	// 503
	// 200
}
