package clustertest

import "testing"

func TestHeapSteady(t *testing.T) {
	const mb = 1 << 20
	linear := make([]uint64, 30)
	filling := make([]uint64, 30)
	for i := range linear {
		linear[i] = 100*mb + uint64(i)*mb
		filling[i] = 100*mb + 30*mb - (30*mb)>>(i/3) // halves its distance to a bound every three samples
	}
	if err := heapSteady(linear, 4*mb); err == nil {
		t.Error("a heap growing 1 MB a sample for 30 samples passed")
	}
	if err := heapSteady(filling, 4*mb); err != nil {
		t.Errorf("a heap filling a bounded structure failed: %v", err)
	}
	if err := heapSteady(linear[:3], 0); err != nil {
		t.Errorf("too few samples to judge failed: %v", err)
	}
}
