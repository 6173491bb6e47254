package main

import "errors"

// replayProjection rebuilds a ClickHouse projection (issue 4 builds it).
func (r *replayCmd) replayProjection() error {
	return errors.New("mallbots replay --projection is not available yet")
}
