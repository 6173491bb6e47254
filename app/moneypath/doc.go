// Package moneypath holds no code, only specifications: its tests follow
// money from the API's parsing of an amount through the product, basket,
// order, payment and invoice rules, and the create-order saga between
// them, in the order the processors run them, and check that no accepted
// input wraps a total, pays more than was authorized or invoices anything
// but the order's total (docs/adr/0014).
//
// It sits in internal, not processors, because it imports every context's
// rules at once, which processors/... may not (archtest).
package moneypath
