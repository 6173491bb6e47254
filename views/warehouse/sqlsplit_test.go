package warehouse

import (
	"reflect"
	"testing"
)

func TestSplitStatements(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want []string
	}{
		{"one with trailing semicolon", "CREATE TABLE a (x UInt8) ENGINE = Memory;\n", []string{"CREATE TABLE a (x UInt8) ENGINE = Memory"}},
		{"two", "SELECT 1;\nSELECT 2", []string{"SELECT 1", "SELECT 2"}},
		{"comments only between", "-- head; still comment\nSELECT 1; /* a; b */ -- tail\n", []string{"SELECT 1"}},
		{"semicolon in string", "SELECT 'a;b', 'it''s;', 'x\\';y'", []string{"SELECT 'a;b', 'it''s;', 'x\\';y'"}},
		{"semicolon in identifiers", "SELECT `a;b`, \"c;d\" FROM t", []string{"SELECT `a;b`, \"c;d\" FROM t"}},
		{"block comment inside", "SELECT /* ; */ 1", []string{"SELECT   1"}},
		{"only comments", "-- nothing\n/* here */\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := splitStatements(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("splitStatements(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
