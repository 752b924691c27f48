package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/node"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/store"
)

// MarkingCmd manages handling markings.
type MarkingCmd struct {
	Add MarkingAddCmd `cmd:"" help:"Publish a Liaison handling marking in a collection; prints its id for object_marking_refs."`
}

type MarkingAddCmd struct {
	Name           string   `help:"Name shown to readers (default: written from the content, e.g. \"SECRET // REL TO GB, US // H2\")."`
	Classification string   `help:"Classification level (UNCLASSIFIED, RESTRICTED, CONFIDENTIAL, SECRET, TOP SECRET)."`
	ReleasableTo   []string `help:"Releasable to these organisations (name or identity id) and ISO 3166 country codes." sep:","`
	Operation      string   `help:"Scope to this operation (its STIX id): only member organisations see it."`
	HandlingCode   string   `help:"SIENA handling code: H0, H1, H2 or H3." enum:",H0,H1,H2,H3" default:""`
	Restrictions   string   `help:"The restrictions of handling code H3, in words."`
	Reliability    string   `help:"Source reliability (admiralty scale A-F)."`
	Credibility    string   `help:"Information credibility (admiralty scale 1-6)."`
	Recipient      []string `help:"A named recipient for TLP:RED, as ORGANISATION:USER (repeatable)."`
	Collection     string   `help:"Collection id (default: the node's first collection)."`
	APIRoot        string   `help:"API root (default: the node's default)."`
	As             string   `help:"Publish as this user (default: the node's organisation)."`
}

func (c *MarkingAddCmd) Run(ctx context.Context, g *Globals) error {
	t, err := openTarget(ctx, g, c.APIRoot, c.Collection, c.As)
	if err != nil {
		return err
	}
	defer t.st.Close()
	h := policy.Handling{
		Classification: c.Classification, OperationRef: c.Operation, HandlingCode: c.HandlingCode,
		HandlingRestrictions: c.Restrictions, SourceReliability: strings.ToUpper(c.Reliability), InformationCredibility: c.Credibility,
	}
	for _, r := range c.ReleasableTo {
		r = strings.TrimSpace(r)
		if id, err := orgID(ctx, t.st, r); err == nil {
			r = id
		} else if len(r) == 2 {
			r = strings.ToUpper(r)
		} else {
			return fmt.Errorf("--releasable-to %q: neither a registered organisation nor a two-letter country code", r)
		}
		h.ReleasableTo = append(h.ReleasableTo, r)
	}
	for _, r := range c.Recipient {
		i := strings.LastIndexByte(r, ':')
		if i <= 0 || i == len(r)-1 {
			return fmt.Errorf("--recipient %q: write ORGANISATION:USER", r)
		}
		id, err := orgID(ctx, t.st, r[:i])
		if err != nil {
			return fmt.Errorf("--recipient %q: %v", r, err)
		}
		h.Recipients = append(h.Recipients, policy.Recipient{OrganizationRef: id, User: r[i+1:]})
	}
	id, err := node.AddMarking(ctx, t.st, t.p, t.root, t.coll, c.Name, h)
	if err != nil {
		return err
	}
	fmt.Println(id)
	return nil
}

// orgID resolves an organisation by name or identity id.
func orgID(ctx context.Context, st store.Store, nameOrID string) (string, error) {
	if org, err := st.OrganisationByName(ctx, nameOrID); err == nil {
		return org.ID, nil
	}
	if org, err := st.Organisation(ctx, nameOrID); err == nil {
		return org.ID, nil
	}
	return "", liaison.Errorf(liaison.ENOTFOUND, "organisation %q is not registered on this node", nameOrID)
}
