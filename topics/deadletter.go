package topics

import "strconv"

// DeadLetterHeaders are the headers of a record copied to DeadLetter: why
// (reason), where it was read (topic, partition, offset) and by which group,
// in this order. The processors' chain and the events projector write the
// same set; tools read them back by these names.
func DeadLetterHeaders(reason, topic string, partition int32, offset int64, group string) [5][2]string {
	return [5][2]string{
		{HeaderDLQReason, reason},
		{HeaderDLQTopic, topic},
		{HeaderDLQPartition, strconv.Itoa(int(partition))},
		{HeaderDLQOffset, strconv.FormatInt(offset, 10)},
		{HeaderDLQGroup, group},
	}
}
