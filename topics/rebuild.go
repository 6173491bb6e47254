package topics

// RebuildOf is the topic `mallbots replay --table` rebuilds a goka group's
// table into before swapping it in: compacted, with the table's partition
// count and keys. Goka fixes a group's table name (TableOf), so the rebuilt
// table cannot simply replace it by name; see docs/adr/0010.
func RebuildOf(group string) string { return TableOf(group) + "-rebuild" }

// RebuildTopic is the catalogue entry of a group's rebuild topic. It is
// not part of All: it exists only between a rebuild and its swap.
func RebuildTopic(a Aggregate) Topic {
	return Topic{
		Name: RebuildOf(a.Group), Partitions: a.Table.Partitions, Cleanup: Compact,
		Key: a.Table.Key, Values: a.Table.Values,
		Doc:   "a rebuild of " + a.Table.Name + " from " + a.Events.Name + ", before the swap",
		Class: ClassTable,
	}
}
