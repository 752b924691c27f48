// Package ops owns joint operations: the operation itself (its lead, its
// members, the subjects it follows), its tasks, the consignments it tracks,
// the custody of each subject as surveillance passes from one team to
// another, and the route of a subject or consignment from its sightings.
//
// The objects are STIX 2.1 domain objects of types Liaison defines through
// extension-definition objects with fixed ids (operation, task, consignment,
// handoff, handoff-decision) and a property-extension of sighting that
// carries a discreet-check report; docs/EXTENSIONS.md ("Operations") is their
// schema. Builders write them (Operation.Object and the like), parsers read
// and check them (ParseOperation and the like), and Validate is the entry
// point the store calls on every write.
//
// Custody is derived, never stored: Custody computes, from the operation, the
// handoff proposals and the decisions each signed by the organisation that
// made it, who held each subject at every instant, what became of every
// proposal and where coverage failed. Route puts the sightings of a subject
// in time order with the custodian of the moment, and renders them as GeoJSON
// for a map. docs/OPERATIONS.md explains the rules with a diagram.
//
// Everything here is a plain function over values: no I/O, no clock (the
// caller says what "now" is), no store. It never resolves a reference by
// itself: what it needs to know about other objects is handed to it.
package ops
