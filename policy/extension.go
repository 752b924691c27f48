package policy

// The objects that define Liaison's handling marking for other tools: the
// extension-definition the marking's extension key names, and the identity
// of its creator. Both are fixed forever (ids, timestamps and content), so
// that every node publishes byte-identical copies; docs/EXTENSIONS.md shows
// them and documents the schema.

const handlingExtensionDefinition = `{` +
	`"type":"extension-definition",` +
	`"spec_version":"2.1",` +
	`"id":"` + HandlingExtension + `",` +
	`"created_by_ref":"` + LiaisonIdentity + `",` +
	`"created":"2026-11-28T00:00:00.000Z",` +
	`"modified":"2026-11-28T00:00:00.000Z",` +
	`"name":"Liaison handling marking",` +
	`"description":"A marking-definition property-extension stating how an object may be handled: ` +
	`classification level, releasability to organisations and countries (ISO 3166-1 alpha-2), operation scope, ` +
	`the SIENA handling code (H0-H3), the admiralty evaluation (source reliability A-F, information credibility 1-6) ` +
	`and, with TLP:RED, the named recipients.",` +
	`"schema":"https://github.com/liaison-intel/liaison/blob/main/docs/EXTENSIONS.md#handling-marking",` +
	`"version":"1.0.0",` +
	`"extension_types":["property-extension"]` +
	`}`

const liaisonIdentityObject = `{` +
	`"type":"identity",` +
	`"spec_version":"2.1",` +
	`"id":"` + LiaisonIdentity + `",` +
	`"created":"2026-11-28T00:00:00.000Z",` +
	`"modified":"2026-11-28T00:00:00.000Z",` +
	`"name":"Liaison project",` +
	`"description":"The authors of Liaison, a federated intelligence-sharing node; creator of its STIX extension definitions.",` +
	`"identity_class":"organization"` +
	`}`

// HandlingExtensionDefinition returns the STIX 2.1 extension-definition
// object of the Liaison handling marking (id HandlingExtension, created by
// LiaisonIdentity). A node may publish it so that other tools can look up
// the extension a handling marking carries. Each call returns a new copy.
func HandlingExtensionDefinition() []byte { return []byte(handlingExtensionDefinition) }

// LiaisonIdentityObject returns the STIX 2.1 identity object of the Liaison
// project (id LiaisonIdentity), the creator of Liaison's extension
// definitions. Each call returns a new copy.
func LiaisonIdentityObject() []byte { return []byte(liaisonIdentityObject) }
