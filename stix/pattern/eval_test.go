package pattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// sco decodes one cyber-observable object as Liaison does: with json.Number.
func sco(s string) map[string]any {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		panic(fmt.Sprintf("%v: %s", err, s))
	}
	return m
}

// observation builds an Observation of the given SCOs, keyed by their id
// (or by their position when they have none), seen n times from first to
// last (RFC 3339, or a bare "15:04:05" on 2024-03-01).
func observation(first, last string, n int, objects ...string) Observation {
	o := Observation{FirstObserved: clock(first), LastObserved: clock(last), NumberObserved: n, Objects: map[string]map[string]any{}}
	for i, s := range objects {
		m := sco(s)
		id, _ := m["id"].(string)
		if id == "" {
			id = fmt.Sprint(i)
		}
		o.Objects[id] = m
	}
	return o
}

func clock(s string) time.Time {
	if len(s) == len("15:04:05") {
		s = "2024-03-01T" + s + "Z"
	}
	return mustTime(s)
}

// once is an observation of the objects, seen once at 10:00:00.
func once(objects ...string) []Observation {
	return []Observation{observation("10:00:00", "10:00:00", 1, objects...)}
}

const (
	theFile = `{"type":"file","id":"file--1","name":"foo.dll","size":371712,"ratio":7.5,"is_encrypted":false,
		"hashes":{"MD5":"cead3f77f6cda6ec00f57d76c9a69faa","SHA-256":"aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"},
		"magic_number_hex":"ffd8","created":"2014-01-13T07:03:17Z","modified":"2014-01-13T07:03:17.25Z","tags":["a","b"],
		"inode":9007199254740993,
		"parent_directory_ref":"directory--1",
		"extensions":{"windows-pebinary-ext":{"sections":[{"name":".text","entropy":6.1},{"name":".rsrc","entropy":7.8}]}}}`
	theDirectory = `{"type":"directory","id":"directory--1","path":"C:\\Windows\\System32"}`
	theIPv4      = `{"type":"ipv4-addr","id":"ipv4-addr--1","value":"198.51.100.7"}`
	theIPv6      = `{"type":"ipv6-addr","id":"ipv6-addr--1","value":"2001:db8:dead:beef::1"}`
	theBlock     = `{"type":"ipv4-addr","id":"ipv4-addr--2","value":"203.0.113.0/25"}`
	theTraffic   = `{"type":"network-traffic","id":"network-traffic--1","dst_ref":"ipv4-addr--1","src_ref":"ipv4-addr--gone",
		"dst_port":443,"protocols":["ipv4","tcp"]}`
	theTraffic6 = `{"type":"network-traffic","id":"network-traffic--2","dst_ref":"ipv6-addr--1"}`
	theDomain   = `{"type":"domain-name","id":"domain-name--1","value":"example.com","resolves_to_refs":["ipv4-addr--1"]}`
	theArtifact = `{"type":"artifact","id":"artifact--1","mime_type":"application/vnd.tcpdump.pcap","payload_bin":"1MOyoQIABAA="}`
	theEmail    = `{"type":"email-message","id":"email-message--1","from_ref":"email-addr--1","to_refs":["email-addr--2","email-addr--3"],
		"subject":"Москва","body_multipart":[{"body":"hi"},{"body_raw_ref":"file--att"}]}`
	theFrom       = `{"type":"email-addr","id":"email-addr--1","value":"jdoe@example.com"}`
	theTo1        = `{"type":"email-addr","id":"email-addr--2","value":"bob@example.org"}`
	theTo2        = `{"type":"email-addr","id":"email-addr--3","value":"mary@example.org"}`
	theAttachment = `{"type":"file","id":"file--att","name":"Final Report 2024.exe"}`
)

// everything is one observation holding the objects above but the e-mail;
// mail holds the e-mail, its addresses and its attachment (a second file).
var (
	everything = once(theFile, theDirectory, theIPv4, theIPv6, theBlock, theTraffic, theTraffic6, theDomain, theArtifact)
	mail       = once(theEmail, theFrom, theTo1, theTo2, theAttachment)
)

type truthCase struct {
	name, pattern string
	want          bool
}

func runTruthTable(t *testing.T, obs []Observation, cases []truthCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.pattern)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Match(p, obs)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Match(%s) = %v, want %v", tc.pattern, got, tc.want)
			}
		})
	}
}

func TestEqualsComparesValuesOfTheSameKind(t *testing.T) {
	runTruthTable(t, everything, []truthCase{
		{"equal strings match", "[file:name = 'foo.dll']", true},
		{"different strings do not", "[file:name = 'bar.dll']", false},
		{"strings compare case-sensitively", "[file:name = 'FOO.DLL']", false},
		{"equal integers match", "[file:size = 371712]", true},
		{"different integers do not", "[file:size = 371713]", false},
		{"an integer equals the same float", "[file:size = 371712.0]", true},
		{"a float equals the same float", "[file:ratio = 7.5]", true},
		{"a string never equals an integer", "[file:size = '371712']", false},
		{"an integer never equals a string", "[file:name = 5]", false},
		{"booleans compare", "[file:is_encrypted = false]", true},
		{"a boolean never equals its string", "[file:is_encrypted = 'false']", false},
		{"a timestamp equals the same instant", "[file:created = t'2014-01-13T07:03:17Z']", true},
		{"a timestamp equals the same instant written with a fraction", "[file:created = t'2014-01-13T07:03:17.000Z']", true},
		{"a timestamp does not equal another instant", "[file:created = t'2014-01-13T07:03:18Z']", false},
		{"timestamps compare to the fraction of a second", "[file:modified = t'2014-01-13T07:03:17.25Z']", true},
		{"timestamps differing by a fraction of a second differ", "[file:modified = t'2014-01-13T07:03:17Z']", false},
		{"integers beyond 2^53 compare exactly", "[file:inode = 9007199254740993]", true},
		{"integers beyond 2^53 that a float64 confuses differ", "[file:inode = 9007199254740992]", false},
		{"a string compares with a timestamp property as a string", "[file:created = '2014-01-13T07:03:17Z']", true},
		{"a timestamp never equals a string that is no timestamp", "[file:name = t'2014-01-13T07:03:17Z']", false},
		{"hex equals a _hex property", "[file:magic_number_hex = h'ffd8']", true},
		{"hex compares bytes, not letter case", "[file:magic_number_hex = h'FFD8']", true},
		{"binary equals a _hex property with the same bytes", "[file:magic_number_hex = b'/9g=']", true},
		{"a string equals binary data byte for byte below U+0100", "[file:magic_number_hex = 'ÿØ']", true},
		{"the hex text itself is not the binary value", "[file:magic_number_hex = 'ffd8']", false},
		{"binary equals a _bin property", "[artifact:payload_bin = h'd4c3b2a102000400']", true},
		{"a dictionary key unquoted", "[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a69faa']", true},
		{"a dictionary key quoted", "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']", true},
		{"a missing property matches nothing", "[file:nope = 1]", false},
		{"a comparison applies only to objects of its type", "[directory:name = 'foo.dll']", false},
		{"a list is not equal to a scalar", "[file:tags = 'a']", false},
		{"an object is not equal to a scalar", "[file:hashes = 'a']", false},
		{"a single-value IN is an equality", "[file:name IN ('foo.dll')]", true},
	})
}

func TestNotEqualsIsTheNegationOfEqualsOnAPresentValue(t *testing.T) {
	runTruthTable(t, once(theFile), []truthCase{
		{"different strings are unequal", "[file:name != 'bar.dll']", true},
		{"equal strings are not unequal", "[file:name != 'foo.dll']", false},
		{"values of different kinds are unequal", "[file:size != '371712']", true},
		{"<> is !=", "[file:name <> 'bar.dll']", true},
		{"a missing property is not unequal to anything", "[file:nope != 1]", false},
		{"different bytes are unequal", "[file:magic_number_hex != h'ffd9']", true},
	})
}

func TestOrderingComparesNumbersStringsTimestampsAndBytes(t *testing.T) {
	runTruthTable(t, everything, []truthCase{
		{"greater than a smaller integer", "[file:size > 371711]", true},
		{"not greater than itself", "[file:size > 371712]", false},
		{"greater or equal to itself", "[file:size >= 371712]", true},
		{"less than a larger integer", "[file:size < 371713]", true},
		{"not less than itself", "[file:size < 371712]", false},
		{"less or equal to itself", "[file:size <= 371712]", true},
		{"an integer against a float", "[file:size < 371712.5]", true},
		{"a float against an integer", "[file:ratio > 7]", true},
		{"negative numbers", "[file:size > -1]", true},
		{"strings order by code point", "[file:name < 'goo']", true},
		{"strings order by code point, the other way", "[file:name > 'goo']", false},
		{"a shorter prefix orders first", "[file:name > 'foo']", true},
		{"timestamps order as instants", "[file:created < t'2015-01-01T00:00:00Z']", true},
		{"timestamps order as instants, the other way", "[file:created > t'2015-01-01T00:00:00Z']", false},
		{"bytes order lexicographically", "[file:magic_number_hex < h'ffd9']", true},
		{"longer bytes order after their prefix", "[file:magic_number_hex > h'ff']", true},
		{"a number and a string are unordered", "[file:size < 'zzz']", false},
		{"a number and a string are unordered, the other way", "[file:size > 'a']", false},
		{"a string and a number are unordered", "[file:name > 1]", false},
	})
}

func TestNotInvertsEachOperator(t *testing.T) {
	// One object of each type: with two files, NOT = 'foo.dll' would hold
	// on the other one.
	runTruthTable(t, once(theFile, theIPv4), []truthCase{
		{"NOT = on an equal value is false", "[file:name NOT = 'foo.dll']", false},
		{"NOT = on another value is true", "[file:name NOT = 'bar.dll']", true},
		{"NOT != on an equal value is true", "[file:name NOT != 'foo.dll']", true},
		{"NOT < on a larger value is true", "[file:size NOT < 1]", true},
		{"NOT <= on a smaller value is false", "[file:size NOT <= 371712]", false},
		{"NOT > on a larger value is false", "[file:size NOT > 1]", false},
		{"NOT >= on a smaller value is true", "[file:size NOT >= 371713]", true},
		{"NOT < on values that do not order is true", "[file:size NOT < 'zzz']", true},
		{"NOT IN on a member is false", "[file:name NOT IN ('a', 'foo.dll')]", false},
		{"NOT IN on a non-member is true", "[file:name NOT IN ('a', 'b')]", true},
		{"NOT IN an empty set is true", "[file:name NOT IN ()]", true},
		{"NOT LIKE on a match is false", "[file:name NOT LIKE 'foo%']", false},
		{"NOT LIKE on a mismatch is true", "[file:name NOT LIKE 'bar%']", true},
		{"NOT MATCHES on a match is false", "[file:name NOT MATCHES 'dll$']", false},
		{"NOT MATCHES on a mismatch is true", "[file:name NOT MATCHES 'exe$']", true},
		{"NOT ISSUBSET inside the block is false", "[ipv4-addr:value NOT ISSUBSET '198.51.100.0/24']", false},
		{"NOT ISSUBSET outside the block is true", "[ipv4-addr:value NOT ISSUBSET '10.0.0.0/8']", true},
		{"NOT does not make a missing property match", "[file:nope NOT = 1]", false},
		{"NOT on a list checks each element: some element is not 'a'", "[file:tags[*] NOT = 'a']", true},
	})
	runTruthTable(t, once(theBlock), []truthCase{
		{"NOT ISSUPERSET of a contained address is false", "[ipv4-addr:value NOT ISSUPERSET '203.0.113.5']", false},
		{"NOT ISSUPERSET of an outside address is true", "[ipv4-addr:value NOT ISSUPERSET '203.0.113.200']", true},
	})
	runTruthTable(t, mail, []truthCase{
		{"NOT = holds when another object of the type differs", "[file:name NOT = 'foo.dll']", true},
	})
}

func TestInTestsMembership(t *testing.T) {
	runTruthTable(t, everything, []truthCase{
		{"a member string", "[file:name IN ('a.dll', 'foo.dll')]", true},
		{"not a member", "[file:name IN ('a.dll', 'b.dll')]", false},
		{"a member integer", "[file:size IN (1, 371712)]", true},
		{"members of other kinds do not count", "[file:size IN ('371712', true)]", false},
		{"a set of mixed kinds", "[file:size IN ('x', 371712.0)]", true},
		{"nothing is in the empty set", "[file:name IN ()]", false},
		{"a timestamp member", "[file:created IN (t'2014-01-13T07:03:17Z')]", true},
		{"a hex member", "[file:magic_number_hex IN (h'00', h'ffd8')]", true},
		{"a boolean member", "[file:is_encrypted IN (true, false)]", true},
	})
}

func TestLikeMatchesSQLWildcards(t *testing.T) {
	runTruthTable(t, everything, []truthCase{
		{"% matches a suffix", "[file:name LIKE 'foo%']", true},
		{"% matches a prefix", "[file:name LIKE '%.dll']", true},
		{"% matches the middle", "[file:name LIKE 'f%l']", true},
		{"% matches nothing as well", "[file:name LIKE 'foo.dll%']", true},
		{"% alone matches anything", "[file:name LIKE '%']", true},
		{"several % backtrack", "[file:name LIKE '%o%l%l']", true},
		{"_ matches one character", "[file:name LIKE 'f_o.dll']", true},
		{"_ does not match two", "[file:name LIKE 'f_.dll']", false},
		{"without wildcards the whole value must match", "[file:name LIKE 'foo']", false},
		{"LIKE is case-sensitive", "[file:name LIKE 'FOO%']", false},
		{"regular-expression characters are literal", "[file:name LIKE 'foo.___']", true},
		{"a dot is not a wildcard", "[file:name LIKE 'foo_dll.']", false},
		{"numbers are not text", "[file:size LIKE '3%']", false},
		{"binary data is matched byte by byte", "[file:magic_number_hex LIKE 'ÿ_']", true},
	})
}

func TestMatchesSearchesWithARegularExpression(t *testing.T) {
	runTruthTable(t, everything, []truthCase{
		{"an anchored prefix", "[file:name MATCHES '^foo']", true},
		{"an anchored suffix", "[file:name MATCHES 'dll$']", true},
		{"the search is unanchored", "[file:name MATCHES 'oo\\\\.d']", true},
		{"anchors hold", "[file:name MATCHES '^oo']", false},
		{"flags work", "[file:name MATCHES '(?i)^FOO']", true},
		{"numbers are not text", "[file:size MATCHES '3']", false},
		{"binary data is searched byte by byte (the specification's pcap example)",
			"[artifact:mime_type = 'application/vnd.tcpdump.pcap' AND artifact:payload_bin MATCHES '\\\\xd4\\\\xc3\\\\xb2\\\\xa1\\\\x02\\\\x00\\\\x04\\\\x00']", true},
		{"binary data that does not match", "[artifact:payload_bin MATCHES '^\\\\xc3']", false},
	})
}

func TestSubsetAndSupersetCompareAddressBlocks(t *testing.T) {
	runTruthTable(t, everything, []truthCase{
		{"an address is a subset of its block", "[ipv4-addr:value ISSUBSET '198.51.100.0/24']", true},
		{"an address is a subset of itself", "[ipv4-addr:value ISSUBSET '198.51.100.7']", true},
		{"an address is a subset of its /32", "[ipv4-addr:value ISSUBSET '198.51.100.7/32']", true},
		{"an address is not a subset of another block", "[ipv4-addr:value ISSUBSET '198.51.101.0/24']", false},
		{"host bits of the constant are ignored", "[ipv4-addr:value ISSUBSET '198.51.100.99/24']", true},
		{"a block is a subset of a larger block", "[ipv4-addr:value ISSUBSET '203.0.113.0/24' AND ipv4-addr:value = '203.0.113.0/25']", true},
		{"a block is not a subset of a smaller block", "[ipv4-addr:value ISSUBSET '203.0.113.0/26' AND ipv4-addr:value = '203.0.113.0/25']", false},
		{"the specification's IPv6 example, through a reference", "[network-traffic:dst_ref.value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']", true},
		{"an IPv6 address is not in another /64", "[ipv6-addr:value ISSUBSET '2001:db8:dead:bee0::/64']", false},
		{"IPv4 is never a subset of IPv6", "[ipv4-addr:value ISSUBSET '::/0']", false},
		{"a block is a superset of an address in it", "[ipv4-addr:value ISSUPERSET '203.0.113.5']", true},
		{"a block is a superset of a smaller block", "[ipv4-addr:value ISSUPERSET '203.0.113.64/26']", true},
		{"a block is not a superset of a larger block", "[ipv4-addr:value ISSUPERSET '203.0.113.0/24' AND ipv4-addr:value = '203.0.113.0/25']", false},
		{"a value that is no address is a subset of nothing", "[file:name ISSUBSET '0.0.0.0/0']", false},
	})
}

func TestExistsTestsThatAPathSelectsAValue(t *testing.T) {
	runTruthTable(t, everything, []truthCase{
		{"a present property", "[EXISTS file:name]", true},
		{"a missing property", "[EXISTS file:nope]", false},
		{"a dictionary key", "[EXISTS file:hashes.'SHA-256']", true},
		{"a missing dictionary key", "[EXISTS file:hashes.'SHA-512']", false},
		{"any element of a list", "[EXISTS file:tags[*]]", true},
		{"an index past the end", "[EXISTS file:tags[2]]", false},
		{"a reference that resolves", "[EXISTS network-traffic:dst_ref.value]", true},
		{"a reference that does not resolve", "[EXISTS network-traffic:src_ref.value]", false},
		{"a type absent from the observation", "[EXISTS process:pid]", false},
	})
}

func TestObjectPathsFollowListsAndReferences(t *testing.T) {
	runTruthTable(t, mail, []truthCase{
		{"_refs elements are followed", "[email-message:to_refs[*].value = 'mary@example.org']", true},
		{"_refs elements are followed by index", "[email-message:to_refs[1].value = 'bob@example.org']", false},
		{"a reference inside a list element", "[email-message:body_multipart[*].body_raw_ref.name = 'Final Report 2024.exe']", true},
		{"_ matches one non-ASCII character", "[email-message:subject LIKE '_осква']", true},
		{"MATCHES on non-ASCII text", "[email-message:subject MATCHES '^Мос']", true},
		{"through references, the specification's e-mail example",
			"[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']", true},
		{"the e-mail example with another sender domain",
			"[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.org$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']", false},
	})
	runTruthTable(t, everything, []truthCase{
		{"[*] matches when any element does", "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]", true},
		{"[*] fails when no element does", "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 8.0]", false},
		{"an index selects that element", "[file:extensions.'windows-pebinary-ext'.sections[1].entropy > 7.0]", true},
		{"an index selects only that element", "[file:extensions.'windows-pebinary-ext'.sections[0].entropy > 7.0]", false},
		{"a negative index selects nothing", "[file:tags[-1] = 'b']", false},
		{"an index on a scalar selects nothing", "[file:name[0] = 'f']", false},
		{"a key on a scalar selects nothing", "[file:name.x = 'f']", false},
		{"[*] on a list of strings", "[network-traffic:protocols[*] = 'tcp']", true},
		{"an index on a list of strings", "[network-traffic:protocols[0] = 'tcp']", false},
		{"a _ref is followed to the object it names", "[network-traffic:dst_ref.value = '198.51.100.7']", true},
		{"the followed object's type is readable", "[network-traffic:dst_ref.type = 'ipv4-addr']", true},
		{"a _ref not followed is the identifier", "[network-traffic:dst_ref = 'ipv4-addr--1']", true},
		{"a dangling _ref selects nothing", "[network-traffic:src_ref.value = '198.51.100.7']", false},
		{"the specification's directory example", "[file:name = 'foo.dll' AND file:parent_directory_ref.path = 'C:\\\\Windows\\\\System32']", true},
		{"the specification's resolves_to_refs example", "[domain-name:value = 'example.com' AND domain-name:resolves_to_refs[*].value = '198.51.100.7']", true},
		{"a string that is not a reference is not followed", "[file:name.value = 'x']", false},
	})
}

func TestComparisonAndOrWithinOneObservation(t *testing.T) {
	twoFiles := once(`{"type":"file","name":"a","size":1}`, `{"type":"file","name":"b","size":2}`)
	runTruthTable(t, twoFiles, []truthCase{
		{"AND of one type holds on one object", "[file:name = 'a' AND file:size = 1]", true},
		{"AND of one type does not combine two objects", "[file:name = 'a' AND file:size = 2]", false},
		{"OR of one type may use either object", "[file:name = 'a' OR file:size = 2]", true},
		{"OR fails when neither holds", "[file:name = 'c' OR file:size = 3]", false},
		{"AND binds tighter than OR", "[file:name = 'c' AND file:size = 1 OR file:name = 'b']", true},
		{"parentheses group", "[file:name = 'c' AND (file:size = 1 OR file:name = 'b')]", false},
		{"the reference matcher's case: some object has the name, another the size", "[file:name = 'a' AND file:size > 1]", false},
	})
	trafficAndDomain := once(`{"type":"network-traffic","dst_port":443}`, `{"type":"domain-name","value":"example.com"}`,
		`{"type":"file","name":"a","size":1}`, `{"type":"file","name":"b","size":2}`, `{"type":"process","name":"c"}`)
	runTruthTable(t, trafficAndDomain, []truthCase{
		{"AND across types may use different objects", "[network-traffic:dst_port = 443 AND domain-name:value = 'example.com']", true},
		{"AND across types fails when one side fails", "[network-traffic:dst_port = 443 AND domain-name:value = 'example.org']", false},
		{"AND across types fails when a type is absent", "[network-traffic:dst_port = 443 AND process:pid = 1]", false},
		{"OR across types holds when a type is absent", "[process:pid = 1 OR domain-name:value = 'example.com']", true},
		{"across types, one type still needs one object", "[file:name = 'a' AND file:size = 2 AND domain-name:value = 'example.com']", false},
		{"across types, an object of another type with the same property does not count", "[file:name = 'c' AND domain-name:value = 'example.com']", false},
		{"across types, each type with its own object", "[file:name = 'b' AND file:size = 2 AND domain-name:value = 'example.com']", true},
		{"each alternative may pick its own objects",
			"[(file:name = 'a' AND domain-name:value = 'x.org') OR (file:name = 'b' AND domain-name:value = 'example.com')]", true},
		{"but an alternative cannot mix two files",
			"[(file:name = 'a' AND file:size = 2 AND domain-name:value = 'example.com') OR network-traffic:dst_port = 80]", false},
	})
}

func TestSpecificationExamplesMatchWhatTheyDescribe(t *testing.T) {
	runTruthTable(t, once(`{"type":"file","name":"pdf.exe","size":371712,"created":"2014-01-13T07:03:17Z"}`), []truthCase{
		{"name or size, and created (the size is an integer, '371712' a string)",
			"[(file:name = 'pdf.exe' OR file:size = '371712') AND file:created = t'2014-01-13T07:03:17Z']", true},
		{"by size alone, the string does not equal the integer",
			"[(file:name = 'other.exe' OR file:size = '371712') AND file:created = t'2014-01-13T07:03:17Z']", false},
	})
	accounts := []Observation{
		observation("10:00:00", "10:00:00", 1, `{"type":"user-account","account_type":"unix","user_id":"1007","account_login":"Peter"}`),
		observation("10:00:01", "10:00:01", 1, `{"type":"user-account","account_type":"unix","user_id":"1008","account_login":"Paul"}`),
		observation("10:00:02", "10:00:02", 1, `{"type":"user-account","account_type":"unix","user_id":"1009","account_login":"Mary"}`),
	}
	peterPaulMary := "[user-account:account_type = 'unix' AND user-account:user_id = '1007' AND user-account:account_login = 'Peter'] AND " +
		"[user-account:account_type = 'unix' AND user-account:user_id = '1008' AND user-account:account_login = 'Paul'] AND " +
		"[user-account:account_type = 'unix' AND user-account:user_id = '1009' AND user-account:account_login = 'Mary']"
	runTruthTable(t, accounts, []truthCase{{"three accounts in three observations", peterPaulMary, true}})
	runTruthTable(t, accounts[:2], []truthCase{{"two of three accounts are not enough", peterPaulMary, false}})
}

// Observations of a file named a at 10:00, one named b at 10:01 and another
// named a at 10:10, each seen once.
var timeline = []Observation{
	observation("10:00:00", "10:00:00", 1, `{"type":"file","name":"a"}`),
	observation("10:01:00", "10:01:00", 1, `{"type":"file","name":"b"}`),
	observation("10:10:00", "10:10:00", 1, `{"type":"file","name":"a"}`),
}

func TestObservationOperators(t *testing.T) {
	runTruthTable(t, timeline, []truthCase{
		{"AND needs both", "[file:name = 'a'] AND [file:name = 'b']", true},
		{"AND fails when one is missing", "[file:name = 'a'] AND [file:name = 'z']", false},
		{"AND of the same expression needs two observations, and has them", "[file:name = 'a'] AND [file:name = 'a']", true},
		{"AND cannot use one observation twice", "[file:name = 'b'] AND [file:name = 'b']", false},
		{"OR needs either", "[file:name = 'z'] OR [file:name = 'b']", true},
		{"OR fails when neither", "[file:name = 'z'] OR [file:name = 'y']", false},
		{"FOLLOWEDBY in order", "[file:name = 'a'] FOLLOWEDBY [file:name = 'b']", true},
		{"FOLLOWEDBY finds a later observation", "[file:name = 'b'] FOLLOWEDBY [file:name = 'a']", true},
		{"FOLLOWEDBY out of order fails", "[file:name = 'b'] FOLLOWEDBY [file:name = 'b']", false},
		{"FOLLOWEDBY chains", "[file:name = 'a'] FOLLOWEDBY [file:name = 'b'] FOLLOWEDBY [file:name = 'a']", true},
		{"a FOLLOWEDBY chain needs distinct observations", "[file:name = 'b'] FOLLOWEDBY [file:name = 'a'] FOLLOWEDBY [file:name = 'a']", false},
	})
	runTruthTable(t, timeline[:2], []truthCase{
		{"FOLLOWEDBY backwards fails", "[file:name = 'b'] FOLLOWEDBY [file:name = 'a']", false},
	})
	overlapping := []Observation{
		observation("10:00:00", "10:05:00", 1, `{"type":"file","name":"a"}`),
		observation("10:01:00", "10:02:00", 1, `{"type":"file","name":"b"}`),
	}
	runTruthTable(t, overlapping, []truthCase{
		{"FOLLOWEDBY holds when the intervals allow that order", "[file:name = 'b'] FOLLOWEDBY [file:name = 'a']", true},
		{"and the other order too", "[file:name = 'a'] FOLLOWEDBY [file:name = 'b']", true},
	})
	twice := []Observation{observation("10:00:00", "10:00:00", 2, `{"type":"file","name":"a"}`)}
	runTruthTable(t, twice, []truthCase{
		{"an observation seen twice satisfies AND of itself", "[file:name = 'a'] AND [file:name = 'a']", true},
		{"an observation seen twice satisfies FOLLOWEDBY of itself", "[file:name = 'a'] FOLLOWEDBY [file:name = 'a']", true},
		{"but not three times", "[file:name = 'a'] AND [file:name = 'a'] AND [file:name = 'a']", false},
	})
}

func TestWithinBoundsTheTimeSpanned(t *testing.T) {
	runTruthTable(t, timeline, []truthCase{
		{"sixty seconds apart within 60 seconds", "([file:name = 'a'] AND [file:name = 'b']) WITHIN 60 SECONDS", true},
		{"sixty seconds apart not within 59", "([file:name = 'a'] AND [file:name = 'b']) WITHIN 59 SECONDS", false},
		{"a fraction of a second counts", "([file:name = 'a'] AND [file:name = 'b']) WITHIN 59.999 SECONDS", false},
		{"another pair may satisfy it", "([file:name = 'b'] AND [file:name = 'a']) WITHIN 540 SECONDS", true},
		{"no pair within 59 seconds", "([file:name = 'b'] AND [file:name = 'a']) WITHIN 59 SECONDS", false},
		{"FOLLOWEDBY within a window (the specification's registry example)", "([file:name = 'a'] FOLLOWEDBY [file:name = 'b']) WITHIN 300 SECONDS", true},
		{"FOLLOWEDBY within too small a window", "([file:name = 'a'] FOLLOWEDBY [file:name = 'a']) WITHIN 300 SECONDS", false},
		{"one observation is always within any window", "[file:name = 'a'] WITHIN 1 SECONDS", true},
		{"WITHIN after FOLLOWEDBY without parentheses qualifies only the right side",
			"[file:name = 'a'] FOLLOWEDBY [file:name = 'a'] WITHIN 1 SECONDS", true},
	})
	intervals := []Observation{
		observation("10:00:00", "10:00:30", 1, `{"type":"file","name":"a"}`),
		observation("10:02:30", "10:05:00", 1, `{"type":"file","name":"b"}`),
	}
	runTruthTable(t, intervals, []truthCase{
		{"the window may meet each interval anywhere", "([file:name = 'a'] AND [file:name = 'b']) WITHIN 120 SECONDS", true},
		{"but must meet both", "([file:name = 'a'] AND [file:name = 'b']) WITHIN 119 SECONDS", false},
	})
}

func TestRepeatsNeedsDistinctObservations(t *testing.T) {
	runTruthTable(t, timeline, []truthCase{
		{"two observations repeat twice", "[file:name = 'a'] REPEATS 2 TIMES", true},
		{"two observations do not repeat three times", "[file:name = 'a'] REPEATS 3 TIMES", false},
		{"one observation does not repeat twice", "[file:name = 'b'] REPEATS 2 TIMES", false},
		{"REPEATS 1 is the expression itself", "[file:name = 'b'] REPEATS 1 TIMES", true},
		{"repetitions may take different alternatives", "([file:name = 'a'] OR [file:name = 'b']) REPEATS 3 TIMES", true},
		{"but not more than there are", "([file:name = 'a'] OR [file:name = 'b']) REPEATS 4 TIMES", false},
		{"repetitions of a pair", "([file:name = 'a'] AND [file:name = 'b']) REPEATS 2 TIMES", false},
		{"REPEATS then WITHIN: the two are 600 seconds apart", "[file:name = 'a'] REPEATS 2 TIMES WITHIN 600 SECONDS", true},
		{"REPEATS then WITHIN: not within 599", "[file:name = 'a'] REPEATS 2 TIMES WITHIN 599 SECONDS", false},
		{"WITHIN then REPEATS: each repetition within its own window", "([file:name = 'a'] WITHIN 1 SECONDS) REPEATS 2 TIMES", true},
	})
	many := []Observation{observation("10:00:00", "10:00:00", 1000, `{"type":"file","name":"a"}`)}
	runTruthTable(t, many, []truthCase{
		{"number_observed counts: 1000 repeat 1000 times", "[file:name = 'a'] REPEATS 1000 TIMES", true},
		{"number_observed counts: 1000 do not repeat 1001 times", "[file:name = 'a'] REPEATS 1001 TIMES", false},
		{"REPEATS of REPEATS multiplies", "([file:name = 'a'] REPEATS 10 TIMES) REPEATS 100 TIMES", true},
		{"REPEATS of REPEATS multiplies, beyond", "([file:name = 'a'] REPEATS 11 TIMES) REPEATS 100 TIMES", false},
	})
	// The specification's example: the same domain five times in half an
	// hour.
	var beacons []Observation
	for i := range 5 {
		at := fmt.Sprintf("10:%02d:00", i*7)
		beacons = append(beacons, observation(at, at, 1,
			`{"type":"network-traffic","dst_ref":"d"}`, `{"type":"domain-name","id":"d","value":"example.com"}`))
	}
	spec := "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'example.com'] REPEATS 5 TIMES WITHIN 1800 SECONDS"
	runTruthTable(t, beacons, []truthCase{{"five beacons in 28 minutes", spec, true}})
	runTruthTable(t, beacons[:4], []truthCase{{"four beacons are not five", spec, false}})
	beacons[4] = observation("10:31:00", "10:31:00", 1, `{"type":"network-traffic","dst_ref":"d"}`, `{"type":"domain-name","id":"d","value":"example.com"}`)
	runTruthTable(t, beacons, []truthCase{{"five beacons in 31 minutes", spec, false}})
}

func TestStartStopBoundsWhenObservationsFall(t *testing.T) {
	runTruthTable(t, timeline, []truthCase{
		{"START is inclusive", "[file:name = 'a'] START t'2024-03-01T10:00:00Z' STOP t'2024-03-01T10:00:01Z'", true},
		{"STOP is exclusive", "[file:name = 'a'] START t'2024-03-01T09:00:00Z' STOP t'2024-03-01T10:00:00Z'", false},
		{"a later observation may fall in the interval", "[file:name = 'a'] START t'2024-03-01T10:05:00Z' STOP t'2024-03-01T11:00:00Z'", true},
		{"none falls in an interval between them", "[file:name = 'a'] START t'2024-03-01T10:01:00Z' STOP t'2024-03-01T10:09:00Z'", false},
		{"every observation of a pair must fall in it", "([file:name = 'a'] AND [file:name = 'b']) START t'2024-03-01T10:00:00Z' STOP t'2024-03-01T10:01:00Z'", false},
		{"and then they do", "([file:name = 'a'] AND [file:name = 'b']) START t'2024-03-01T10:00:00Z' STOP t'2024-03-01T10:01:00.001Z'", true},
		{"START after STOP matches nothing", "[file:name = 'a'] START t'2024-03-01T11:00:00Z' STOP t'2024-03-01T10:00:00Z'", false},
		{"START equal to STOP matches nothing", "[file:name = 'a'] START t'2024-03-01T10:00:00Z' STOP t'2024-03-01T10:00:00Z'", false},
	})
	spanning := []Observation{observation("09:59:00", "10:01:00", 1, `{"type":"file","name":"a"}`)}
	runTruthTable(t, spanning, []truthCase{
		{"START after STOP matches nothing, even an observation spanning both", "[file:name = 'a'] START t'2024-03-01T10:00:30Z' STOP t'2024-03-01T10:00:00Z'", false},
		{"START equal to STOP matches nothing, even an observation spanning it", "[file:name = 'a'] START t'2024-03-01T10:00:00Z' STOP t'2024-03-01T10:00:00Z'", false},
		{"an observation spanning START falls in", "[file:name = 'a'] START t'2024-03-01T10:00:00Z' STOP t'2024-03-01T11:00:00Z'", true},
		{"an observation spanning STOP falls in", "[file:name = 'a'] START t'2024-03-01T09:00:00Z' STOP t'2024-03-01T09:59:30Z'", true},
	})
}

func TestMatchedObservationsNamesTheObservationsUsed(t *testing.T) {
	for _, tc := range []struct {
		name, pattern string
		want          []int
	}{
		{"one observation", "[file:name = 'b']", []int{1}},
		{"a pair", "[file:name = 'b'] FOLLOWEDBY [file:name = 'a']", []int{1, 2}},
		{"a repetition", "[file:name = 'a'] REPEATS 2 TIMES", []int{0, 2}},
		{"no match", "[file:name = 'z']", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := MatchedObservations(mustParse(t, tc.pattern), timeline)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func mustParse(t testing.TB, s string) *Pattern {
	t.Helper()
	p, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMatchWithoutObservationsIsFalse(t *testing.T) {
	for _, s := range []string{"[a:b = 1]", "[a:b = 1] OR [c:d = 2]", "[a:b = 1] REPEATS 2 TIMES"} {
		if ok, err := Match(mustParse(t, s), nil); ok || err != nil {
			t.Errorf("%s: %v, %v", s, ok, err)
		}
	}
}

func TestMatchRefusesRegularExpressionsRE2CannotRun(t *testing.T) {
	for _, tc := range []struct{ name, pattern, where string }{
		{"a lookahead", "[file:name MATCHES '^foo(?=\\\\.dll)']", "1:20"},
		{"a backreference, on a later line", "[file:name = 'x' OR\n file:name MATCHES '(a)\\\\1']", "2:20"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.pattern)
			if err != nil {
				t.Fatalf("a valid STIX pattern must parse: %v", err)
			}
			err = p.Supported()
			if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), tc.where) {
				t.Errorf("Supported() = %v, want ErrUnsupported at %s", err, tc.where)
			}
			if _, err := Match(p, everything); !errors.Is(err, ErrUnsupported) {
				t.Errorf("Match: %v, want ErrUnsupported", err)
			}
		})
	}
	if err := mustParse(t, "[file:name MATCHES '^foo']").Supported(); err != nil {
		t.Errorf("a plain expression: %v", err)
	}
}

func TestMatchCompilesExpressionsOfTreesBuiltByHand(t *testing.T) {
	c := &Comparison{Path: ObjectPath{"file", []PathStep{{Kind: KeyStep, Key: "name"}}}, Op: Matches, Value: StringLiteral(`\.dll$`)}
	p := &Pattern{&SimpleObservation{c}}
	if ok, err := Match(p, everything); !ok || err != nil {
		t.Errorf("Match = %v, %v", ok, err)
	}
	c.Value = StringLiteral(`(?<=x)`)
	if _, err := Match(p, everything); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Match = %v, want ErrUnsupported", err)
	}
}

func TestMatchRefusesAnObservationThatEndsBeforeItStarts(t *testing.T) {
	obs := []Observation{timeline[0], observation("10:00:00", "09:00:00", 1, `{"type":"file","name":"a"}`)}
	_, err := Match(mustParse(t, "[file:name = 'a']"), obs)
	if err == nil || !strings.Contains(err.Error(), "observation 1") {
		t.Errorf("got %v, want an error naming observation 1", err)
	}
}

func TestMatchGivesUpRatherThanGuessWhenThereAreTooManyWays(t *testing.T) {
	var obs []Observation
	for range 200 {
		obs = append(obs, observation("10:00:00", "10:00:00", 1, `{"type":"file","name":"a"}`))
	}
	// 200 choose 3 = 1,313,400 distinct triples.
	_, err := Match(mustParse(t, "[file:name = 'a'] REPEATS 3 TIMES WITHIN 1 SECONDS"), obs)
	if !errors.Is(err, ErrTooComplex) {
		t.Errorf("got %v, want ErrTooComplex", err)
	}
	// Two of them are few enough.
	if ok, err := Match(mustParse(t, "[file:name = 'a'] REPEATS 2 TIMES"), obs); !ok || err != nil {
		t.Errorf("REPEATS 2: %v, %v", ok, err)
	}
}

// The search stays small where it can: distinct bindings are kept once, and
// across object types only the useful choices of objects are tried. Without
// that, each of these would exceed the bounds and fail with ErrTooComplex.
func TestMatchKeepsTheSearchSmall(t *testing.T) {
	t.Run("REPEATS over many observations keeps each distinct set once", func(t *testing.T) {
		var obs []Observation
		for range 12 {
			obs = append(obs, observation("10:00:00", "10:00:00", 1, `{"type":"file","name":"a"}`))
		}
		ok, err := Match(mustParse(t, "[file:name = 'a'] REPEATS 12 TIMES"), obs)
		if !ok || err != nil {
			t.Errorf("got %v, %v; want true", ok, err)
		}
	})
	// 25 types with two objects each: 2^25 ways to choose one per type.
	manyTypes := func(objects func(typ string) []string) []Observation {
		var objs []string
		for i := range 25 {
			objs = append(objs, objects(fmt.Sprintf("t%d", i))...)
		}
		return once(objs...)
	}
	conjunction := func(cmp func(typ string) string) string {
		var parts []string
		for i := range 25 {
			parts = append(parts, cmp(fmt.Sprintf("t%d", i)))
		}
		return "[" + strings.Join(parts, " AND ") + "]"
	}
	t.Run("a choice of objects that cannot help is never tried", func(t *testing.T) {
		// Each type has an object with a and one with a and b, and the
		// pattern wants both of one object; t0 has one with a and one with
		// c, and the pattern wants a and c of one t0.
		obs := manyTypes(func(typ string) []string {
			if typ == "t0" {
				return []string{`{"type":"t0","a":1}`, `{"type":"t0","c":1}`}
			}
			return []string{`{"type":"` + typ + `","a":1}`, `{"type":"` + typ + `","a":1,"b":1}`}
		})
		p := conjunction(func(typ string) string {
			if typ == "t0" {
				return "t0:a = 1 AND t0:c = 1"
			}
			return typ + ":a = 1 AND " + typ + ":b = 1"
		})
		ok, err := Match(mustParse(t, p), obs)
		if ok || err != nil {
			t.Errorf("got %v, %v; want false", ok, err)
		}
	})
	t.Run("an expression no choice can satisfy is not searched", func(t *testing.T) {
		obs := manyTypes(func(typ string) []string {
			return []string{`{"type":"` + typ + `","a":1}`, `{"type":"` + typ + `","b":1}`}
		})
		// Every type has an object with a and one with b; the pattern also
		// wants c, which none has.
		ok, err := Match(mustParse(t, conjunction(func(typ string) string {
			return typ + ":a = 1 AND " + typ + ":b = 1 AND " + typ + ":c = 1"
		})), obs)
		if ok || err != nil {
			t.Errorf("got %v, %v; want false", ok, err)
		}
	})
}

func TestMatchAcceptsValuesDecodedWithoutUseNumber(t *testing.T) {
	var obj map[string]any
	if err := json.Unmarshal([]byte(`{"type":"file","size":371712,"tags":["a"]}`), &obj); err != nil {
		t.Fatal(err)
	}
	obs := []Observation{{Objects: map[string]map[string]any{"0": obj}}}
	runTruthTable(t, obs, []truthCase{
		{"a float64 equals an integer", "[file:size = 371712]", true},
		{"a float64 orders against an integer", "[file:size > 371711]", true},
	})
	built := []Observation{{Objects: map[string]map[string]any{"0": {"type": "file", "size": 5, "tags": []string{"x"}, "raw_bin": []byte{1}}}}}
	runTruthTable(t, built, []truthCase{
		{"a Go int", "[file:size = 5]", true},
		{"a []string", "[file:tags[0] = 'x']", true},
	})
}

func TestMatchDoesNotChangeThePattern(t *testing.T) {
	p := mustParse(t, "[file:name MATCHES '^foo' AND file:size > 1] REPEATS 1 TIMES")
	before := p.String()
	re := p.Expr.(*QualifiedObservation).Expr.(*SimpleObservation).Comparison.(*CompoundComparison).Left.(*Comparison).re
	for range 3 {
		if _, err := Match(p, everything); err != nil {
			t.Fatal(err)
		}
	}
	after := p.Expr.(*QualifiedObservation).Expr.(*SimpleObservation).Comparison.(*CompoundComparison).Left.(*Comparison).re
	if p.String() != before || re != after || re == nil {
		t.Error("Match changed the pattern")
	}
}

func TestLikeAgreesWithARegularExpressionTranslation(t *testing.T) {
	// like() is hand-written for speed; check it against the obvious
	// translation on every short pattern over a small alphabet.
	alphabet := []string{"a", "b", "%", "_", "é"}
	var patterns []string
	var grow func(string, int)
	grow = func(p string, n int) {
		patterns = append(patterns, p)
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			grow(p+c, n-1)
		}
	}
	grow("", 4)
	values := []string{"", "a", "b", "é", "ab", "ba", "aé", "abab", "aab", "bba", "ééa"}
	for _, p := range patterns {
		var re strings.Builder
		re.WriteString("^")
		for _, r := range p {
			switch r {
			case '%':
				re.WriteString("(?s:.*)")
			case '_':
				re.WriteString("(?s:.)")
			default:
				re.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
		re.WriteString("$")
		want := regexp.MustCompile(re.String())
		for _, v := range values {
			if got := like(v, p); got != want.MatchString(v) {
				t.Errorf("like(%q, %q) = %v", v, p, got)
			}
		}
	}
}

func TestLatin1RoundTrip(t *testing.T) {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	back, ok := latin1Bytes(latin1String(b))
	if !ok || !bytes.Equal(back, b) {
		t.Error("bytes → characters → bytes changed the bytes")
	}
	if _, ok := latin1Bytes("Ā"); ok {
		t.Error("U+0100 taken for a byte")
	}
}
