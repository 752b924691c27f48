package policy

// The official ids of the TLP marking definitions. They are defined by the
// STIX specification (TLP 1.0, in STIX 2.1 section 7.2.1.4) and by the
// FIRST/OASIS TLP 2.0 extension, and every tool knows them by these ids.
const (
	TLP1White = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
	TLP1Green = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
	TLP1Amber = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
	TLP1Red   = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"

	TLP2Clear       = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
	TLP2Green       = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	TLP2Amber       = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
	TLP2AmberStrict = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
	TLP2Red         = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
)

// IsTLP reports whether id is one of the official TLP marking definitions.
// Those objects are shared by every tool and must never be altered.
func IsTLP(id string) bool {
	switch id {
	case TLP1White, TLP1Green, TLP1Amber, TLP1Red, TLP2Clear, TLP2Green, TLP2Amber, TLP2AmberStrict, TLP2Red:
		return true
	}
	return false
}
