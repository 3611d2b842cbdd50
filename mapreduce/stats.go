package mapreduce

import "fmt"

// Stats counts one rank's part of a job.
type Stats struct {
	Records      int64 // records mapped
	Bytes        int64 // bytes of the text records mapped (lines with their newlines)
	Emitted      int64 // pairs the mapper emitted
	Shuffled     int64 // pairs sent to reducers, after combining
	ShuffleBytes int64 // their encoded bytes
	Received     int64 // pairs this rank's reducer took
	Keys         int64 // distinct keys in this rank's partition
	Spills       int64 // run files written under the memory budget
	SpillBytes   int64 // their bytes
}

// Add is the sum of two ranks' counters.
func (s Stats) Add(o Stats) Stats {
	return Stats{s.Records + o.Records, s.Bytes + o.Bytes, s.Emitted + o.Emitted, s.Shuffled + o.Shuffled,
		s.ShuffleBytes + o.ShuffleBytes, s.Received + o.Received, s.Keys + o.Keys, s.Spills + o.Spills, s.SpillBytes + o.SpillBytes}
}

// String prints the counters on one line.
func (s Stats) String() string {
	return fmt.Sprintf("mapped %d records (%d bytes), emitted %d pairs, shuffled %d (%d bytes), reduced %d into %d keys, spilled %d runs (%d bytes)",
		s.Records, s.Bytes, s.Emitted, s.Shuffled, s.ShuffleBytes, s.Received, s.Keys, s.Spills, s.SpillBytes)
}
