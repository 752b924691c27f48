// Package pattern owns the STIX patterning language (STIX 2.1, section 9,
// "STIX Patterning"): a parser with exact error positions, a canonical
// rendering, an evaluator over observations, and the list of exact values a
// pattern looks for (Equalities), by which a correlation engine indexes
// indicators.
//
// It is pure logic: no I/O, no clock, no global state. A parsed *Pattern is
// immutable and safe for concurrent use. It never decides what a principal
// may see; callers hand it only observations they are allowed to match.
//
// # Grammar
//
// The parser is a hand-written recursive descent over the grammar of the
// specification, as its normative ANTLR form (STIXPattern.g4, maintained in
// oasis-open/cti-stix2-json-schemas and used by the OASIS pattern validator)
// writes it:
//
//	pattern          = observations EOF
//	observations     = obsOr { "FOLLOWEDBY" obsOr }        (loosest)
//	obsOr            = obsAnd { "OR" obsAnd }
//	obsAnd           = qualified { "AND" qualified }
//	qualified        = obsPrimary { qualifier }              (tightest)
//	obsPrimary       = "[" comparisons "]" | "(" observations ")"
//	qualifier        = "WITHIN" number "SECONDS" | "REPEATS" int "TIMES"
//	                 | "START" timestamp "STOP" timestamp
//	comparisons      = cmpAnd { "OR" cmpAnd }
//	cmpAnd           = cmpPrimary { "AND" cmpPrimary }
//	cmpPrimary       = path ["NOT"] op literal | path ["NOT"] "IN" "(" [literal {"," literal}] ")"
//	                 | "EXISTS" path | "(" comparisons ")"
//	path             = type ":" name { "." name | "[" int "]" | "[*]" }
//
// All binary operators are left-associative; AND binds tighter than OR at
// both levels, and FOLLOWEDBY is loosest. So "[a] AND [b] WITHIN 5 SECONDS"
// qualifies only [b], and "[a] FOLLOWEDBY [b] OR [c]" is
// "[a] FOLLOWEDBY ([b] OR [c])". Keywords are upper case ("true" and
// "false" lower case); an object type may contain hyphens, a property name
// must be quoted to contain one ('SHA-256'). Strings know two escapes, \'
// and \\. Integers have no leading zeros; floats need digits after the
// point and have no exponent. White space includes the Unicode spaces the
// grammar lists, and /* */ and // comments are skipped.
//
// Parse also refuses what the specification forbids but the grammar lets
// through: timestamps that name no instant (February 30th), REPEATS 0 TIMES,
// WITHIN 0 SECONDS, the same kind of qualifier twice directly on one "[…]"
// (as the OASIS validator does; "([…]) WITHIN 5 SECONDS WITHIN 9 SECONDS"
// is allowed), ISSUBSET and ISSUPERSET with a constant that is not an IP
// address or CIDR block, and integer constants beyond 64 bits.
//
// # Evaluation
//
// Match follows the specification and, where it leaves room, the OASIS
// reference matcher (cti-pattern-matcher):
//
//   - "[…]" is satisfied by one observation. Comparisons of one object
//     type are applied to a single object of that type (so that
//     [file:name = 'a' AND file:size = 1] needs one file with both); those
//     of different types may be satisfied by different objects of the same
//     observation. The reference matcher never matches an AND across types;
//     this evaluator does, as that is what such a pattern asks for.
//   - A comparison is true when some value its path selects passes: [*]
//     selects every element of a list; a key step after a _ref or _refs
//     property follows the reference to the object of the same observation.
//     A missing property makes every comparison false, negated or not;
//     EXISTS is true when the path selects anything.
//   - Constants and values of kinds that do not compare are unequal and
//     unordered (5 = '5' is false, 5 != '5' true), never an error. Integers
//     and floats compare as numbers; timestamps as instants (a string value
//     holding an RFC 3339 timestamp compares with t'…'); properties named
//     *_hex and *_bin are binary and compare with h'…' and b'…' as bytes,
//     and with a string when its characters are all below U+0100.
//   - LIKE: % is any run of characters, _ one character, case-sensitive, no
//     escape character. MATCHES: unanchored search (PCRE's default), on
//     binary values one character per byte.
//   - ISSUBSET/ISSUPERSET: IPv4 or IPv6 addresses and CIDR blocks; a value
//     that is not one is not a subset of anything.
//   - Observation AND, FOLLOWEDBY and REPEATS need different observations;
//     an observation with number_observed n counts as n observations.
//     FOLLOWEDBY holds when the left observations can be placed no later
//     than the right ones within their first/last_observed intervals.
//     WITHIN n SECONDS holds when some window of n seconds meets every
//     observation's interval; START/STOP when every interval meets
//     [START, STOP).
//
// # Not supported
//
//   - MATCHES uses Go's regexp package (RE2), not PCRE: backreferences,
//     lookahead and lookbehind, possessive quantifiers, atomic groups and
//     conditionals do not compile. Such a pattern parses (it is valid
//     STIX); Match and Pattern.Supported return an error wrapping
//     ErrUnsupported. RE2 guarantees linear-time matching, which is why it
//     is used for patterns that partners send.
//   - Strings are compared as given, without Unicode normalisation (the
//     standard library has no NFC).
//   - No check of object types, property names or value formats against the
//     STIX object model (a pattern on file:hashes.'SHA-256' = 'f00'
//     parses): patterns on custom objects are legitimate and the store
//     validates objects, not patterns.
//   - Negative list indexes parse (the grammar has them) and select nothing.
//   - The search over bindings is exhaustive but bounded (maxBindings,
//     maxWork): beyond the bound Match returns an error wrapping
//     ErrTooComplex rather than a guess.
package pattern
