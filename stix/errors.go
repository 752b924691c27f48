package stix

import "fmt"

// ValidationError says why an object was refused, naming the object and the
// property at fault.
type ValidationError struct {
	ObjectID string // the object's id, or "" when even that could not be read
	Field    string // the property at fault, as a JSON path ("created", "granular_markings[0].selectors")
	Reason   string
}

func (e *ValidationError) Error() string {
	id := e.ObjectID
	if id == "" {
		id = "(object without a valid id)"
	}
	if e.Field == "" {
		return fmt.Sprintf("%s: %s", id, e.Reason)
	}
	return fmt.Sprintf("%s: property %q %s", id, e.Field, e.Reason)
}

func invalid(id, field, format string, args ...any) *ValidationError {
	return &ValidationError{ObjectID: id, Field: field, Reason: fmt.Sprintf(format, args...)}
}
