package system

import (
	"context"
	"sync"

	"github.com/mallbots/mallbots/app/httpapi"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/views/state"
)

// startViews starts a goka view of every aggregate table for the API. The
// views are built side by side (each asks the brokers about its table, as
// the processors do: runProcessors) and then run in a fixed order.
func (s *System) startViews(ctx context.Context) (httpapi.Views, error) {
	var v httpapi.Views
	builds := []func() (func(), error){
		viewOf(s, ctx, topics.Stores, &v.Stores),
		viewOf(s, ctx, topics.Products, &v.Products),
		viewOf(s, ctx, topics.Customers, &v.Customers),
		viewOf(s, ctx, topics.Baskets, &v.Baskets),
		viewOf(s, ctx, topics.Orders, &v.Orders),
		viewOf(s, ctx, topics.Payments, &v.Payments),
		viewOf(s, ctx, topics.Invoices, &v.Invoices),
		viewOf(s, ctx, topics.ShoppingLists, &v.ShoppingLists),
		viewOf(s, ctx, topics.Bots, &v.Bots),
	}
	runs := make([]func(), len(builds))
	errs := make([]error, len(builds))
	var wg sync.WaitGroup
	for i, build := range builds {
		wg.Go(func() { runs[i], errs[i] = build() })
	}
	wg.Wait()
	for i, run := range runs {
		if errs[i] != nil {
			return v, errs[i]
		}
		run()
	}
	return v, nil
}

// viewOf builds the view of a's table; the function it returns stores it
// in dst, counts it in Ready and runs it.
func viewOf[S any](s *System, ctx context.Context, a topics.Aggregate, dst **state.View[S]) func() (func(), error) {
	return func() (func(), error) {
		gc, err := s.gokaRuntimeAs(topics.RoleAPI)
		if err != nil {
			return nil, err
		}
		v, err := state.New[S](s.brokers, a.Table, s.sd, gc.ViewOptions("api-"+a.Type)...)
		if err != nil {
			return nil, err
		}
		return func() {
			*dst = v
			s.checks = append(s.checks, check{"view " + v.Name(), v.Recovered})
			s.metrics.WatchView("api-"+a.Type, v.Stats, v.Recovered)
			s.goRun(ctx, "view "+v.Name(), v.Run)
		}, nil
	}
}
