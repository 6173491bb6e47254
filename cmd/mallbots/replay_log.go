package main

import "errors"

// replayTable rebuilds a state table from its event log (issue 5 builds it).
func (r *replayCmd) replayTable() error {
	return errors.New("mallbots replay --table is not available yet")
}

// timeTravel prints an aggregate as it was at an instant (issue 5 builds it).
func (r *replayCmd) timeTravel() error {
	return errors.New("mallbots replay --aggregate is not available yet")
}
