package chaos

import (
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// judge counts an attack refused only when every part of the answer
// carries an error code, so errorCodes must find the code of every part,
// at whichever level each kind of answer carries it, and nothing else.
func TestErrorCodesListEveryPartOfEachAttacksAnswer(t *testing.T) {
	produce := kmsg.NewPtrProduceResponse()
	produce.Topics = []kmsg.ProduceResponseTopic{
		{Partitions: []kmsg.ProduceResponseTopicPartition{{ErrorCode: 29}, {ErrorCode: 0}}},
		{Partitions: []kmsg.ProduceResponseTopicPartition{{ErrorCode: 3}}},
	}
	deleteRecs := kmsg.NewPtrDeleteRecordsResponse()
	deleteRecs.Topics = []kmsg.DeleteRecordsResponseTopic{
		{Partitions: []kmsg.DeleteRecordsResponseTopicPartition{{ErrorCode: 29}, {ErrorCode: 29}}},
	}
	deleteTopic := kmsg.NewPtrDeleteTopicsResponse()
	deleteTopic.Topics = []kmsg.DeleteTopicsResponseTopic{{ErrorCode: 29}, {ErrorCode: 0}}
	alter := kmsg.NewPtrAlterConfigsResponse()
	alter.Resources = []kmsg.AlterConfigsResponseResource{{ErrorCode: 29}}
	incrAlter := kmsg.NewPtrIncrementalAlterConfigsResponse()
	incrAlter.Resources = []kmsg.IncrementalAlterConfigsResponseResource{{ErrorCode: 0}}
	commit := kmsg.NewPtrOffsetCommitResponse()
	commit.Topics = []kmsg.OffsetCommitResponseTopic{
		{Partitions: []kmsg.OffsetCommitResponseTopicPartition{{ErrorCode: 30}}},
		{Partitions: []kmsg.OffsetCommitResponseTopicPartition{{ErrorCode: 30}, {ErrorCode: 0}}},
	}
	for _, tc := range []struct {
		kind string
		resp kmsg.Response
		want []int16
	}{
		{attackProduce, produce, []int16{29, 0, 3}},
		{attackDeleteRecs, deleteRecs, []int16{29, 29}},
		{attackDeleteTopic, deleteTopic, []int16{29, 0}},
		{attackAlterCfg, alter, []int16{29}},
		{attackIncrAlter, incrAlter, []int16{0}},
		{attackCommit, commit, []int16{30, 30, 0}},
		{attackCommit, kmsg.NewPtrOffsetCommitResponse(), nil},
	} {
		if got := errorCodes(tc.resp); !slices.Equal(got, tc.want) {
			t.Errorf("%s: errorCodes = %v, want %v", tc.kind, got, tc.want)
		}
	}
}
