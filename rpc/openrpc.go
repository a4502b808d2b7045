package rpc

// OpenRPCVersion is the OpenRPC specification version of rpc.discover's
// document.
const OpenRPCVersion = "1.3.2"

// Document is an OpenRPC document, the result of rpc.discover.
type Document struct {
	OpenRPC    string       `json:"openrpc"`
	Info       Info         `json:"info"`
	Methods    []MethodSpec `json:"methods"`
	Components Components   `json:"components"`
	// Framing says how messages are delimited (an orgd extension).
	Framing string `json:"x-framing,omitempty"`
}

// Info describes the API.
type Info struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description,omitempty"`
}

// MethodSpec describes one method.
type MethodSpec struct {
	Name           string            `json:"name"`
	Summary        string            `json:"summary"`
	Description    string            `json:"description,omitempty"`
	ParamStructure string            `json:"paramStructure"`
	Params         []ContentDescr    `json:"params"`
	Result         ContentDescr      `json:"result"`
	Errors         []ErrorSpec       `json:"errors,omitempty"`
	Notifications  []NotificationRef `json:"x-notifications,omitempty"`
}

// ContentDescr is an OpenRPC content descriptor: a named, schema'd value.
type ContentDescr struct {
	Name        string  `json:"name"`
	Description string  `json:"description,omitempty"`
	Required    bool    `json:"required,omitempty"`
	Schema      *Schema `json:"schema"`
}

// ErrorSpec is an error a method may return.
type ErrorSpec struct {
	Code    int64  `json:"code"`
	Message string `json:"message"`
}

// NotificationRef names a notification a method leads to, with the schema
// of its params (an orgd extension: OpenRPC has no notifications).
type NotificationRef struct {
	Method string  `json:"method"`
	Params *Schema `json:"params"`
}

// Components holds schemas referred to by "$ref".
type Components struct {
	Schemas map[string]*Schema `json:"schemas"`
}

// Schema is the subset of JSON Schema the document uses.
type Schema struct {
	Ref                  string             `json:"$ref,omitempty"`
	Type                 any                `json:"type,omitempty"` // a string, or []string for nullable types
	Format               string             `json:"format,omitempty"`
	Description          string             `json:"description,omitempty"`
	Properties           map[string]*Schema `json:"properties,omitempty"`
	Required             []string           `json:"required,omitempty"`
	Items                *Schema            `json:"items,omitempty"`
	AdditionalProperties *bool              `json:"additionalProperties,omitempty"`
	OneOf                []*Schema          `json:"oneOf,omitempty"`
}
