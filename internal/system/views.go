package system

import (
	"context"

	"github.com/mallbots/mallbots/internal/httpapi"
	"github.com/mallbots/mallbots/schemas/baskets"
	"github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/schemas/depot"
	"github.com/mallbots/mallbots/schemas/ordering"
	"github.com/mallbots/mallbots/schemas/payments"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/views/state"
)

// startViews starts a goka view of every aggregate table for the API.
func (s *System) startViews(ctx context.Context) (httpapi.Views, error) {
	var v httpapi.Views
	var err error
	for _, start := range []func() error{
		func() error { v.Stores, err = startView[stores.Store](s, ctx, topics.Stores); return err },
		func() error { v.Products, err = startView[stores.Product](s, ctx, topics.Products); return err },
		func() error { v.Customers, err = startView[customers.Customer](s, ctx, topics.Customers); return err },
		func() error { v.Baskets, err = startView[baskets.Basket](s, ctx, topics.Baskets); return err },
		func() error { v.Orders, err = startView[ordering.Order](s, ctx, topics.Orders); return err },
		func() error { v.Payments, err = startView[payments.Payment](s, ctx, topics.Payments); return err },
		func() error { v.Invoices, err = startView[payments.Invoice](s, ctx, topics.Invoices); return err },
		func() error {
			v.ShoppingLists, err = startView[depot.ShoppingList](s, ctx, topics.ShoppingLists)
			return err
		},
		func() error { v.Bots, err = startView[depot.Bot](s, ctx, topics.Bots); return err },
	} {
		if err := start(); err != nil {
			return v, err
		}
	}
	return v, nil
}

func startView[S any](s *System, ctx context.Context, a topics.Aggregate) (*state.View[S], error) {
	v, err := state.New[S](s.brokers, a.Table, s.sd, s.gokaConfig().ViewOptions("api-"+a.Type)...)
	if err != nil {
		return nil, err
	}
	s.checks = append(s.checks, check{"view " + v.Name(), v.Recovered})
	s.metrics.WatchView("api-"+a.Type, v.Stats, v.Recovered)
	s.goRun(ctx, "view "+v.Name(), v.Run)
	return v, nil
}
