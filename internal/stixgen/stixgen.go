// Package stixgen generates valid STIX 2.1 objects of mixed types for tests
// and benchmarks: deterministic for a seed, about 1 KB each on average, with
// the shape of real intelligence (indicators, observables, relationships,
// sightings, reports) and its markings (TLP:GREEN, AMBER and RED on
// 40 %, 20 % and 5 % of domain and relationship objects).
package stixgen

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Generator produces objects. It is not safe for concurrent use.
type Generator struct {
	rng      *rand.Rand
	Creator  string // created_by_ref of generated SDOs/SROs ("" for none)
	base     time.Time
	n        int
	recent   []string // ids of recent SDOs, for references
	uuidRand *rand.Rand
}

// New returns a generator for a seed.
func New(seed uint64, creator string) *Generator {
	return &Generator{
		rng:      rand.New(rand.NewPCG(seed, 0x5eed)),
		uuidRand: rand.New(rand.NewPCG(seed, 0x1d)),
		Creator:  creator,
		base:     time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC),
	}
}

func (g *Generator) uuid4() string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := g.uuidRand.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return uuid.UUID(b).String()
}

func (g *Generator) ts() string {
	t := g.base.Add(time.Duration(g.n) * 1500 * time.Millisecond)
	return t.Format("2006-01-02T15:04:05.000Z")
}

var words = strings.Fields(`courier handset passport crate manifest airway bill freight
consignment shipment broker warehouse transit route flight vessel container port customs
meeting contact associate payment transfer account surveillance report source liaison
missile launcher component invoice medical supplies forwarding agent safe house vehicle`)

func (g *Generator) text(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(words[g.rng.IntN(len(words))])
	}
	return b.String()
}

func (g *Generator) ip() string {
	return fmt.Sprintf("%d.%d.%d.%d", 11+g.rng.IntN(200), g.rng.IntN(256), g.rng.IntN(256), 1+g.rng.IntN(254))
}

func (g *Generator) domain() string {
	return fmt.Sprintf("%s-%s%d.example.%s", words[g.rng.IntN(len(words))], words[g.rng.IntN(len(words))], g.rng.IntN(1000),
		[]string{"com", "net", "org", "ru", "uk"}[g.rng.IntN(5)])
}

func (g *Generator) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.rng.IntN(16)]
	}
	return string(b)
}

func (g *Generator) common(typ string) map[string]any {
	ts := g.ts()
	m := map[string]any{
		"type": typ, "spec_version": "2.1", "id": typ + "--" + g.uuid4(),
		"created": ts, "modified": ts,
	}
	if g.Creator != "" {
		m["created_by_ref"] = g.Creator
	}
	// Markings as agencies use them: most intelligence shared GREEN or
	// AMBER, some RED, some unmarked.
	switch r := g.rng.IntN(100); {
	case r < 40:
		m["object_marking_refs"] = []string{tlpGreen}
	case r < 60:
		m["object_marking_refs"] = []string{tlpAmber}
	case r < 65:
		m["object_marking_refs"] = []string{tlpRed}
	}
	return m
}

const (
	tlpGreen = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	tlpAmber = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
	tlpRed   = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
)

// Next returns the JSON of the next object.
func (g *Generator) Next() []byte {
	g.n++
	var m map[string]any
	switch r := g.rng.IntN(100); {
	case r < 35:
		m = g.common("indicator")
		var pattern string
		switch g.rng.IntN(4) {
		case 0:
			pattern = fmt.Sprintf("[ipv4-addr:value = '%s']", g.ip())
		case 1:
			pattern = fmt.Sprintf("[domain-name:value = '%s']", g.domain())
		case 2:
			pattern = fmt.Sprintf("[file:hashes.'SHA-256' = '%s']", g.hex(64))
		default:
			pattern = fmt.Sprintf("[email-addr:value = '%s@%s'] AND [url:value = 'https://%s/%s']", words[g.rng.IntN(len(words))], g.domain(), g.domain(), g.hex(12))
		}
		m["name"] = g.text(3)
		m["description"] = g.text(40 + g.rng.IntN(40))
		m["indicator_types"] = []string{"malicious-activity"}
		m["pattern"] = pattern
		m["pattern_type"] = "stix"
		m["valid_from"] = m["created"]
		m["labels"] = []string{words[g.rng.IntN(len(words))], words[g.rng.IntN(len(words))]}
		m["confidence"] = g.rng.IntN(101)
		m["external_references"] = []map[string]string{{"source_name": "liaison-demo", "url": "https://example.org/r/" + g.hex(16)}}
		g.remember(m["id"].(string))
	case r < 55:
		m = g.sco()
	case r < 63:
		m = g.common("malware")
		m["name"] = g.text(2)
		m["is_family"] = g.rng.IntN(2) == 0
		m["malware_types"] = []string{"remote-access-trojan"}
		m["description"] = g.text(60)
		g.remember(m["id"].(string))
	case r < 68:
		m = g.common("threat-actor")
		m["name"] = g.text(2)
		m["threat_actor_types"] = []string{"criminal"}
		m["aliases"] = []string{g.text(1), g.text(1)}
		m["description"] = g.text(80)
		g.remember(m["id"].(string))
	case r < 71:
		m = g.common("attack-pattern")
		m["name"] = g.text(4)
		m["description"] = g.text(120)
		m["kill_chain_phases"] = []map[string]string{{"kill_chain_name": "mitre-attack", "phase_name": "collection"}}
		g.remember(m["id"].(string))
	case r < 88 && len(g.recent) >= 2:
		m = g.common("relationship")
		m["relationship_type"] = []string{"indicates", "uses", "related-to", "attributed-to"}[g.rng.IntN(4)]
		m["source_ref"] = g.recent[g.rng.IntN(len(g.recent))]
		m["target_ref"] = g.recent[g.rng.IntN(len(g.recent))]
		m["description"] = g.text(20)
	case r < 94 && len(g.recent) >= 1:
		m = g.common("sighting")
		m["sighting_of_ref"] = g.recent[g.rng.IntN(len(g.recent))]
		m["first_seen"] = m["created"]
		m["last_seen"] = m["created"]
		m["count"] = 1 + g.rng.IntN(20)
		m["description"] = g.text(30)
	case r < 97 && len(g.recent) >= 3:
		m = g.common("report")
		m["name"] = g.text(5)
		m["published"] = m["created"]
		m["report_types"] = []string{"threat-report"}
		m["description"] = g.text(100)
		m["object_refs"] = []string{g.recent[0], g.recent[1], g.recent[2]}
	default:
		m = g.common("note")
		m["content"] = g.text(90)
		m["abstract"] = g.text(6)
		if len(g.recent) > 0 {
			m["object_refs"] = []string{g.recent[g.rng.IntN(len(g.recent))]}
		} else {
			m["object_refs"] = []string{m["id"].(string)}
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

func (g *Generator) remember(id string) {
	if len(g.recent) < 64 {
		g.recent = append(g.recent, id)
		return
	}
	g.recent[g.rng.IntN(64)] = id
}

func (g *Generator) sco() map[string]any {
	var typ string
	m := map[string]any{"spec_version": "2.1"}
	switch g.rng.IntN(5) {
	case 0:
		typ = "ipv4-addr"
		m["value"] = g.ip()
	case 1:
		typ = "domain-name"
		m["value"] = g.domain()
	case 2:
		typ = "file"
		m["name"] = g.text(1) + ".exe"
		m["size"] = g.rng.IntN(1 << 22)
		m["hashes"] = map[string]string{"MD5": g.hex(32), "SHA-1": g.hex(40), "SHA-256": g.hex(64)}
	case 3:
		typ = "url"
		m["value"] = "https://" + g.domain() + "/" + g.hex(20)
	default:
		typ = "email-addr"
		m["value"] = words[g.rng.IntN(len(words))] + "." + g.hex(4) + "@" + g.domain()
		m["display_name"] = g.text(2)
	}
	m["type"] = typ
	// Random (UUIDv4) ids keep generated SCOs distinct; real SCOs use UUIDv5.
	m["id"] = typ + "--" + g.uuid4()
	return m
}

// WriteBundle writes a bundle of n generated objects to w.
func (g *Generator) WriteBundle(w io.Writer, n int) error {
	if _, err := fmt.Fprintf(w, `{"type":"bundle","id":"bundle--%s","objects":[`, g.uuid4()); err != nil {
		return err
	}
	for i := range n {
		if i > 0 {
			if _, err := w.Write([]byte{','}); err != nil {
				return err
			}
		}
		if _, err := w.Write(g.Next()); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "]}")
	return err
}
