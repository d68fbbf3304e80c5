package api

import (
	"encoding"
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Document is an OpenAPI 3.0.3 document. It is built from the route table by OpenAPI
// and marshals deterministically: paths, responses, properties and schemas are maps
// (encoding/json sorts their keys) and everything else is in a fixed order.
type Document struct {
	OpenAPI    string                 `json:"openapi"`
	Info       DocInfo                `json:"info"`
	Tags       []DocTag               `json:"tags,omitempty"`
	Paths      map[string]DocPathItem `json:"paths"`
	Components DocComponents          `json:"components"`
}

// DocInfo is the document's info object.
type DocInfo struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description,omitempty"`
}

// DocTag names a group of operations.
type DocTag struct {
	Name string `json:"name"`
}

// DocPathItem maps a lower-case HTTP method to its operation.
type DocPathItem map[string]*DocOperation

// DocOperation is one route.
type DocOperation struct {
	OperationID string                  `json:"operationId"`
	Summary     string                  `json:"summary,omitempty"`
	Tags        []string                `json:"tags,omitempty"`
	Parameters  []DocParameter          `json:"parameters,omitempty"`
	RequestBody *DocRequestBody         `json:"requestBody,omitempty"`
	Responses   map[string]*DocResponse `json:"responses"`
	// Security is empty (not absent) on public routes, which overrides any default.
	Security   []map[string][]string `json:"security"`
	Permission string                `json:"x-permission,omitempty"`
	Access     string                `json:"x-access"`
}

// DocParameter is a path or query parameter.
type DocParameter struct {
	Name        string     `json:"name"`
	In          string     `json:"in"`
	Required    bool       `json:"required,omitempty"`
	Description string     `json:"description,omitempty"`
	Schema      *DocSchema `json:"schema"`
}

// DocRequestBody is an operation's JSON body.
type DocRequestBody struct {
	Required bool                    `json:"required"`
	Content  map[string]DocMediaType `json:"content"`
}

// DocResponse is one status an operation answers with; Content is nil when the
// response has no body.
type DocResponse struct {
	Description string                  `json:"description"`
	Content     map[string]DocMediaType `json:"content,omitempty"`
}

// DocMediaType holds the schema of a body.
type DocMediaType struct {
	Schema *DocSchema `json:"schema"`
}

// DocComponents holds the named schemas and the security schemes.
type DocComponents struct {
	Schemas         map[string]*DocSchema         `json:"schemas"`
	SecuritySchemes map[string]*DocSecurityScheme `json:"securitySchemes"`
}

// DocSecurityScheme is a way to authenticate.
type DocSecurityScheme struct {
	Type         string `json:"type"`
	Scheme       string `json:"scheme,omitempty"`
	BearerFormat string `json:"bearerFormat,omitempty"`
	In           string `json:"in,omitempty"`
	Name         string `json:"name,omitempty"`
	Description  string `json:"description,omitempty"`
}

// DocSchema is the subset of the OpenAPI 3.0 schema object the generator produces.
// The empty schema {} accepts any value.
type DocSchema struct {
	Ref                  string                `json:"$ref,omitempty"`
	AllOf                []*DocSchema          `json:"allOf,omitempty"`
	Type                 string                `json:"type,omitempty"`
	Format               string                `json:"format,omitempty"`
	Description          string                `json:"description,omitempty"`
	Nullable             bool                  `json:"nullable,omitempty"`
	Enum                 []any                 `json:"enum,omitempty"`
	Items                *DocSchema            `json:"items,omitempty"`
	Properties           map[string]*DocSchema `json:"properties,omitempty"`
	Required             []string              `json:"required,omitempty"`
	AdditionalProperties *DocSchema            `json:"additionalProperties,omitempty"`

	// refType marks a reference to a named struct whose component name is only
	// known once every type has been seen; Ref is filled in then.
	refType reflect.Type
}

// JSON returns the document as indented JSON.
func (d *Document) JSON() ([]byte, error) {
	return json.MarshalIndent(d, "", "  ")
}

const (
	oaSessionScheme = "sessionCookie"
	oaBearerScheme  = "bearerToken"
	oaErrorSchema   = "Error"
	oaJSON          = "application/json"
)

// OpenAPI builds the API document of routes. The result does not depend on the order
// of routes.
func OpenAPI(routes []Route, version string) *Document {
	g := newOAGen()
	errorType := reflect.TypeOf(ErrorBody{})
	g.pinned[errorType] = oaErrorSchema
	g.schema(errorType)

	sorted := append([]Route(nil), routes...)
	sort.SliceStable(sorted, func(i, j int) bool {
		pi, pj := oaPath(sorted[i].Path), oaPath(sorted[j].Path)
		if pi != pj {
			return pi < pj
		}
		return strings.ToUpper(sorted[i].Method) < strings.ToUpper(sorted[j].Method)
	})

	doc := &Document{
		OpenAPI: "3.0.3",
		Info: DocInfo{
			Title:       "Switchboard API",
			Version:     version,
			Description: "Switchboard's HTTP API: workspaces, members, invitations, API tokens and operator tools; every error is {\"error\":{\"code\",\"message\",\"fields\"}}.",
		},
		Paths: map[string]DocPathItem{},
	}
	tags := map[string]bool{}
	usedIDs := map[string]bool{}
	for _, r := range sorted {
		path := oaPath(r.Path)
		method := strings.ToLower(r.Method)
		item := doc.Paths[path]
		if item == nil {
			item = DocPathItem{}
			doc.Paths[path] = item
		}
		if _, dup := item[method]; dup {
			continue // the first registration wins, as it does in the router
		}
		op := g.operation(r)
		op.OperationID = oaUnique(oaOperationID(r.Method, r.Path), usedIDs)
		item[method] = op
		if r.Tag != "" {
			tags[r.Tag] = true
		}
	}
	for _, t := range oaSortedKeys(tags) {
		doc.Tags = append(doc.Tags, DocTag{Name: t})
	}

	doc.Components = DocComponents{
		Schemas: g.finish(),
		SecuritySchemes: map[string]*DocSecurityScheme{
			oaSessionScheme: {
				Type: "apiKey", In: "cookie", Name: SessionCookie,
				Description: "Browser session cookie set by signup and login. Requests with unsafe methods " +
					"(POST, PUT, PATCH, DELETE) authenticated by this cookie must also send the session's CSRF " +
					"token (csrf_token of the session response, also in the sb_csrf cookie) in the " + CSRFHeader + " header.",
			},
			oaBearerScheme: {
				Type: "http", Scheme: "bearer", BearerFormat: "sbt_…",
				Description: "API token of one workspace: Authorization: Bearer sbt_…",
			},
		},
	}
	return doc
}

// operation builds everything of r's operation except its id.
func (g *oaGen) operation(r Route) *DocOperation {
	op := &DocOperation{
		Summary:    r.Summary,
		Permission: string(r.Permission),
		Access:     oaAccess(r.Access),
		Responses:  map[string]*DocResponse{},
		Security:   []map[string][]string{},
	}
	if r.Tag != "" {
		op.Tags = []string{r.Tag}
	}
	if r.Access != Public {
		op.Security = []map[string][]string{{oaSessionScheme: {}}, {oaBearerScheme: {}}}
	}

	params := oaParams(r.Path)
	for _, p := range params {
		dp := DocParameter{Name: p, In: "path", Required: true, Schema: &DocSchema{Type: "string"}}
		if p == "workspace" {
			dp.Description = "workspace slug or id"
		}
		op.Parameters = append(op.Parameters, dp)
	}
	query := g.queryParams(r.Query)
	op.Parameters = append(op.Parameters, query...)

	hasBody := r.Request != nil && !r.Raw
	if hasBody {
		op.RequestBody = &DocRequestBody{Required: true, Content: map[string]DocMediaType{
			oaJSON: {Schema: g.schema(reflect.TypeOf(r.Request))},
		}}
	}
	if r.Form != nil {
		op.RequestBody = &DocRequestBody{Required: true, Content: map[string]DocMediaType{
			"multipart/form-data": {Schema: g.schema(reflect.TypeOf(r.Form))},
		}}
	}

	errResp := func(status int, desc string) {
		op.Responses[strconv.Itoa(status)] = &DocResponse{Description: desc, Content: map[string]DocMediaType{
			oaJSON: {Schema: g.schema(reflect.TypeOf(ErrorBody{}))},
		}}
	}
	if hasBody {
		errResp(http.StatusBadRequest, "The body is not a single valid JSON object or has an unknown field.")
		errResp(http.StatusUnsupportedMediaType, "The body was not sent as application/json.")
	}
	if r.Form != nil {
		errResp(http.StatusBadRequest, "The body is not a multipart/form-data form.")
		errResp(http.StatusRequestEntityTooLarge, "The body is larger than the route takes.")
	}
	if hasBody || r.Form != nil || len(query) > 0 {
		errResp(http.StatusUnprocessableEntity, "Validation failed; error.fields names each wrong field.")
	}
	if r.Access != Public {
		errResp(http.StatusUnauthorized, "Not signed in, or the session or API token is invalid, expired or revoked.")
	}
	switch {
	case r.Access == InWorkspace:
		errResp(http.StatusForbidden, "The caller's role lacks the permission, or the CSRF token is missing or wrong.")
	case r.Access == Operator:
		errResp(http.StatusForbidden, "The caller is not a platform operator, or the CSRF token is missing or wrong.")
	case r.Access == Authenticated && oaUnsafe(r.Method):
		errResp(http.StatusForbidden, "The "+CSRFHeader+" header is missing or wrong.")
	}
	if len(params) > 0 {
		errResp(http.StatusNotFound, "Not found, or not visible to the caller.")
	}

	status := r.Status
	if status == 0 {
		status = http.StatusOK
	}
	desc := http.StatusText(status)
	if desc == "" {
		desc = "Success"
	}
	ok := &DocResponse{Description: desc}
	if r.Response != nil {
		ok.Content = map[string]DocMediaType{oaJSON: {Schema: g.schema(reflect.TypeOf(r.Response))}}
	}
	op.Responses[strconv.Itoa(status)] = ok
	return op
}

// queryParams lists the query parameters named by the `query` tags of q's struct.
func (g *oaGen) queryParams(q any) []DocParameter {
	if q == nil {
		return nil
	}
	t := reflect.TypeOf(q)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []DocParameter
	seen := map[string]bool{}
	var walk func(t reflect.Type, path map[reflect.Type]bool)
	walk = func(t reflect.Type, path map[reflect.Type]bool) {
		if path[t] {
			return
		}
		path[t] = true
		defer delete(path, t)
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("query"), ",")
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
				walk(ft, path)
				continue
			}
			if name == "" || name == "-" || !f.IsExported() || seen[name] {
				continue
			}
			seen[name] = true
			s := g.inline(ft)
			s = oaDecorate(s, "", f.Tag.Get("enum"))
			out = append(out, DocParameter{Name: name, In: "query", Description: f.Tag.Get("doc"), Schema: s})
		}
	}
	walk(t, map[reflect.Type]bool{})
	return out
}

// inline is the schema of t with named structs expanded in place (query parameters
// have no use for references).
func (g *oaGen) inline(t reflect.Type) *DocSchema {
	if t.Kind() == reflect.Struct && !oaSpecial(t) {
		return g.structSchema(t)
	}
	return g.schema(t)
}

func oaAccess(a Access) string {
	if a < Public || a > Operator {
		return "unknown"
	}
	return a.String()
}

func oaUnsafe(method string) bool {
	switch strings.ToUpper(method) {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// oaParamName is the name of the fiber parameter segment seg (":member", ":id?",
// ":n<int>"), or "" when seg is not one.
func oaParamName(seg string) string {
	name, ok := strings.CutPrefix(seg, ":")
	if !ok {
		return ""
	}
	if i := strings.IndexByte(name, '<'); i >= 0 {
		name = name[:i]
	}
	return strings.TrimSuffix(name, "?")
}

// oaPath turns a fiber path into an OpenAPI one: /w/:workspace → /w/{workspace}.
func oaPath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if name := oaParamName(s); name != "" {
			segs[i] = "{" + name + "}"
		}
	}
	return strings.Join(segs, "/")
}

func oaParams(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if name := oaParamName(s); name != "" {
			out = append(out, name)
		}
	}
	return out
}

// oaOperationID derives an id such as getWorkspacesByWorkspaceMembers from a method
// and a fiber path; the /api/v1 prefix is left out.
func oaOperationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i, s := range segs {
		if i < 2 && (s == "api" || (len(s) > 1 && s[0] == 'v' && strings.Trim(s[1:], "0123456789") == "")) {
			continue
		}
		if name := oaParamName(s); name != "" {
			b.WriteString("By")
			s = name
		}
		for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			rs := []rune(w)
			rs[0] = unicode.ToUpper(rs[0])
			b.WriteString(string(rs))
		}
	}
	return b.String()
}

// oaUnique returns id, or id with the first free numeric suffix, and marks it used.
func oaUnique(id string, used map[string]bool) string {
	out := id
	for n := 2; used[out]; n++ {
		out = id + strconv.Itoa(n)
	}
	used[out] = true
	return out
}

func oaSortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// oaGen generates JSON schemas from Go types by reflection. Named structs become
// components referenced with $ref; their names are chosen in finish, once all are
// known, so that a name does not depend on which type was seen first.
type oaGen struct {
	defs   map[reflect.Type]*DocSchema
	order  []reflect.Type
	refs   []*DocSchema
	pinned map[reflect.Type]string
}

func newOAGen() *oaGen {
	return &oaGen{defs: map[reflect.Type]*DocSchema{}, pinned: map[reflect.Type]string{}}
}

var (
	oaTimeType      = reflect.TypeOf(time.Time{})
	oaDurationType  = reflect.TypeOf(time.Duration(0))
	oaRawType       = reflect.TypeOf(json.RawMessage(nil))
	oaMarshalerType = reflect.TypeOf((*json.Marshaler)(nil)).Elem()
	oaTextType      = reflect.TypeOf((*encoding.TextMarshaler)(nil)).Elem()
)

// oaSpecial reports whether t has a fixed schema rather than one from its structure.
func oaSpecial(t reflect.Type) bool {
	return t == oaTimeType || t == oaDurationType || t == oaRawType ||
		oaImplements(t, oaMarshalerType) || oaImplements(t, oaTextType)
}

func oaImplements(t, iface reflect.Type) bool {
	return t.Kind() != reflect.Interface && (t.Implements(iface) || reflect.PointerTo(t).Implements(iface))
}

// schema returns the schema of a value of type t.
func (g *oaGen) schema(t reflect.Type) *DocSchema {
	if t == nil {
		return &DocSchema{}
	}
	switch {
	case t == oaTimeType:
		return &DocSchema{Type: "string", Format: "date-time"}
	case t == oaDurationType:
		return &DocSchema{Type: "integer", Format: "int64", Description: "nanoseconds"}
	case t == oaRawType:
		return &DocSchema{}
	}
	if t.Kind() == reflect.Pointer {
		s := g.schema(t.Elem())
		if s.refType != nil {
			return &DocSchema{AllOf: []*DocSchema{s}, Nullable: true}
		}
		s.Nullable = true
		return s
	}
	switch {
	case oaImplements(t, oaMarshalerType):
		return &DocSchema{} // custom JSON: its shape is not known here
	case oaImplements(t, oaTextType):
		return &DocSchema{Type: "string"}
	}
	switch t.Kind() {
	case reflect.Bool:
		return &DocSchema{Type: "boolean"}
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint8, reflect.Uint16:
		return &DocSchema{Type: "integer", Format: "int32"}
	case reflect.Int, reflect.Int64, reflect.Uint, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return &DocSchema{Type: "integer", Format: "int64"}
	case reflect.Float32:
		return &DocSchema{Type: "number", Format: "float"}
	case reflect.Float64:
		return &DocSchema{Type: "number", Format: "double"}
	case reflect.String:
		return &DocSchema{Type: "string"}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && !oaImplements(t.Elem(), oaMarshalerType) && !oaImplements(t.Elem(), oaTextType) {
			return &DocSchema{Type: "string", Format: "byte"} // encoding/json writes []byte as base64
		}
		return &DocSchema{Type: "array", Items: g.schema(t.Elem())}
	case reflect.Array:
		return &DocSchema{Type: "array", Items: g.schema(t.Elem())}
	case reflect.Map:
		return &DocSchema{Type: "object", AdditionalProperties: g.schema(t.Elem())}
	case reflect.Struct:
		if t.Name() == "" {
			return g.structSchema(t)
		}
		return g.ref(t)
	}
	return &DocSchema{} // interfaces, and kinds JSON cannot hold
}

// ref registers the named struct t as a component and returns a reference to it.
func (g *oaGen) ref(t reflect.Type) *DocSchema {
	if _, ok := g.defs[t]; !ok {
		g.defs[t] = nil // in progress: a recursive reference stops here
		g.order = append(g.order, t)
		g.defs[t] = g.structSchema(t)
	}
	r := &DocSchema{refType: t}
	g.refs = append(g.refs, r)
	return r
}

func (g *oaGen) structSchema(t reflect.Type) *DocSchema {
	s := &DocSchema{Type: "object"}
	for _, f := range oaFields(t) {
		var fs *DocSchema
		if f.quoted && oaQuotable(f.typ) {
			fs = &DocSchema{Type: "string", Nullable: f.typ.Kind() == reflect.Pointer}
		} else {
			fs = g.schema(f.typ)
		}
		fs = oaDecorate(fs, f.tag.Get("doc"), f.tag.Get("enum"))
		if format := f.tag.Get("format"); format != "" {
			fs.Format = format // a form's file: "binary"
		}
		if s.Properties == nil {
			s.Properties = map[string]*DocSchema{}
		}
		s.Properties[f.name] = fs
		if f.required {
			s.Required = append(s.Required, f.name)
		}
	}
	return s
}

// oaQuotable reports whether the json ",string" option applies to t.
func oaQuotable(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool, reflect.String, reflect.Float32, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return false
}

// oaDecorate adds a description and an enum (from the `doc` and `enum` tags) to s.
func oaDecorate(s *DocSchema, doc, enum string) *DocSchema {
	if doc == "" && enum == "" {
		return s
	}
	if s.refType != nil {
		s = &DocSchema{AllOf: []*DocSchema{s}} // $ref takes no siblings in OpenAPI 3.0
	}
	if doc != "" {
		s.Description = doc
	}
	if enum != "" {
		target := s
		if s.Type == "array" && s.Items != nil {
			if s.Items.refType != nil {
				s.Items = &DocSchema{AllOf: []*DocSchema{s.Items}}
			}
			target = s.Items
		}
		for _, v := range strings.Split(enum, ",") {
			target.Enum = append(target.Enum, oaEnumValue(target.Type, strings.TrimSpace(v)))
		}
		if target.Nullable {
			target.Enum = append(target.Enum, nil)
		}
	}
	return s
}

func oaEnumValue(typ, v string) any {
	switch typ {
	case "integer":
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	case "number":
		if n, err := strconv.ParseFloat(v, 64); err == nil {
			return n
		}
	case "boolean":
		if b, err := strconv.ParseBool(v); err == nil {
			return b
		}
	}
	return v
}

// oaField is a JSON property of a struct, after flattening embedded structs.
type oaField struct {
	name     string
	typ      reflect.Type
	tag      reflect.StructTag
	index    []int
	tagged   bool
	quoted   bool
	required bool
}

// oaFields lists the JSON properties of struct t the way encoding/json sees them:
// exported fields, json names, "-" skipped, anonymous structs without a json name
// flattened (except bun's BaseModel), and shallower fields hiding deeper ones.
func oaFields(t reflect.Type) []oaField {
	var all []oaField
	path := map[reflect.Type]bool{}
	var walk func(t reflect.Type, index []int, optional bool)
	walk = func(t reflect.Type, index []int, optional bool) {
		if path[t] {
			return
		}
		path[t] = true
		defer delete(path, t)
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			idx := append(append([]int(nil), index...), i)
			ft := sf.Type
			if sf.Anonymous {
				et := ft
				if et.Kind() == reflect.Pointer {
					et = et.Elem()
				}
				if !sf.IsExported() && et.Kind() != reflect.Struct {
					continue
				}
				if name == "" && et.Kind() == reflect.Struct && !oaSpecial(et) {
					if et.Name() == "BaseModel" {
						continue
					}
					walk(et, idx, optional || ft.Kind() == reflect.Pointer)
					continue
				}
			} else if !sf.IsExported() {
				continue
			}
			f := oaField{name: name, typ: ft, tag: sf.Tag, index: idx, tagged: name != ""}
			if name == "" {
				f.name = sf.Name
			}
			omit := false
			for _, o := range strings.Split(opts, ",") {
				switch o {
				case "omitempty", "omitzero":
					omit = true
				case "string":
					f.quoted = true
				}
			}
			f.required = !omit && !optional && ft.Kind() != reflect.Pointer
			all = append(all, f)
		}
	}
	walk(t, nil, false)

	byName := map[string][]oaField{}
	for _, f := range all {
		byName[f.name] = append(byName[f.name], f)
	}
	var out []oaField
	for _, fs := range byName {
		depth := len(fs[0].index)
		for _, f := range fs[1:] {
			depth = min(depth, len(f.index))
		}
		var top, tagged []oaField
		for _, f := range fs {
			if len(f.index) == depth {
				top = append(top, f)
				if f.tagged {
					tagged = append(tagged, f)
				}
			}
		}
		switch {
		case len(top) == 1:
			out = append(out, top[0])
		case len(tagged) == 1:
			out = append(out, tagged[0])
		} // otherwise ambiguous: encoding/json drops the name
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].index, out[j].index
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k] != b[k] {
				return a[k] < b[k]
			}
		}
		return len(a) < len(b)
	})
	return out
}

// finish names every component schema, fills in the references and returns the
// components by name. A schema is named after its type (generic arguments become
// suffixes: List[tenants.Member] → List_Member); types whose names clash are prefixed
// with their package, and numbered if that is not enough.
func (g *oaGen) finish() map[string]*DocSchema {
	keyOf := func(t reflect.Type) string { return t.PkgPath() + "." + t.Name() }
	names := map[reflect.Type]string{}
	count := map[string]int{}
	for _, t := range g.order {
		if n, ok := g.pinned[t]; ok {
			names[t] = n
			count[n] += 2 // a pinned name is never shared
			continue
		}
		names[t] = oaTypeName(t, false)
		count[names[t]]++
	}
	for _, t := range g.order {
		if _, ok := g.pinned[t]; !ok && count[names[t]] > 1 {
			names[t] = oaTypeName(t, true)
		}
	}

	ordered := append([]reflect.Type(nil), g.order...)
	sort.SliceStable(ordered, func(i, j int) bool {
		_, pi := g.pinned[ordered[i]]
		_, pj := g.pinned[ordered[j]]
		if pi != pj {
			return pi
		}
		return keyOf(ordered[i]) < keyOf(ordered[j])
	})
	used := map[string]bool{}
	for _, t := range ordered {
		names[t] = oaUnique(names[t], used)
	}

	for _, r := range g.refs {
		r.Ref = "#/components/schemas/" + names[r.refType]
	}
	out := make(map[string]*DocSchema, len(g.defs))
	for t, s := range g.defs {
		out[names[t]] = s
	}
	return out
}

var (
	oaQualified = regexp.MustCompile(`(?:[A-Za-z0-9_.~\-]+/)*([A-Za-z0-9_]+)\.([A-Za-z0-9_]+)`)
	oaInvalid   = regexp.MustCompile(`[^A-Za-z0-9_]+`)
)

// oaTypeName is a component name for t: its name with generic arguments reduced to
// their type names, or with qualify its package and the arguments' packages too.
func oaTypeName(t reflect.Type, qualify bool) string {
	repl := "$2"
	if qualify {
		repl = "${1}_$2"
	}
	name := oaQualified.ReplaceAllString(t.Name(), repl)
	name = strings.ReplaceAll(name, "[]", "Slice_")
	name = strings.ReplaceAll(name, "map[", "Map_")
	name = strings.Trim(oaInvalid.ReplaceAllString(name, "_"), "_")
	if qualify {
		pkg := t.PkgPath()
		pkg = pkg[strings.LastIndexByte(pkg, '/')+1:]
		if pkg = strings.Trim(oaInvalid.ReplaceAllString(pkg, "_"), "_"); pkg != "" {
			name = pkg + "_" + name
		}
	}
	if name == "" {
		name = "Object"
	}
	return name
}
