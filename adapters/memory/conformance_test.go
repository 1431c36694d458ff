package memory_test

import (
	"testing"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/adapters/storetest"
	"github.com/valmennus/valmennus/coaching"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) coaching.Store { return memory.New() })
}
