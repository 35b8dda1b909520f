package sheet

import (
	"strconv"
	"unicode"
	"unicode/utf8"

	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system"
)

// Kind says how a column's cells are read and written.
type Kind int

// The column kinds.
const (
	// KindText is free text.
	KindText Kind = iota
	// KindEnum is one of the column's Values.
	KindEnum
	// KindList is a list of the column's Values separated by "," or ";".
	KindList
	// KindInt is a whole number between Min and Max; when Values is set,
	// it must also be one of them.
	KindInt
	// KindBool is a yes/no answer.
	KindBool
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case KindText:
		return "text"
	case KindEnum:
		return "enum"
	case KindList:
		return "list"
	case KindInt:
		return "int"
	case KindBool:
		return "bool"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Column is one column of the register.
type Column struct {
	// Key is the stable machine key, also written in row 2 of templates and
	// exports, and the Column of every Problem about this column.
	Key string
	// Header is the column header; Vietnamese is what row 1 holds.
	Header regulation.Text
	// Help says what to write, for the instructions sheet.
	Help regulation.Text
	Kind Kind
	// Required columns must be present in the file and their cells must not
	// be blank.
	Required bool
	// Values are the allowed values of KindEnum, KindList and KindBool
	// columns (and of KindInt columns limited to a list). A cell may hold
	// the ID or either name.
	Values []Value
	// Min and Max bound a KindInt column; Max 0 means no upper bound.
	Min, Max int
	// MaxLen is the longest text, in characters, of a KindText column.
	MaxLen int
	// Field is the regulation.Field* name of a profile column, "" for the
	// other columns.
	Field string
}

// Value is one allowed value of a column.
type Value struct {
	// ID is what exports write and drop-down lists offer.
	ID   string
	Name regulation.Text
}

// The keys of the columns that are not profile fields. Profile columns use
// the regulation.Field* names as keys.
const (
	KeyCode         = "code"
	KeyName         = "name"
	KeyUnitCode     = "unit_code"
	KeyStatus       = "status"
	KeyHosting      = "hosting"
	KeyParentCode   = "parent_code"
	KeyOwnerName    = "owner_name"
	KeyOperatorName = "operator_name"
	KeyISUnitName   = "is_unit_name"
	KeyScope        = "scope"
	KeyDescription  = "description"
)

// The length limits of text columns, in characters. The first four are
// those of system.System.Validate.
const (
	maxCode    = 64
	maxName    = 300
	maxLong    = 8000
	maxContact = 1000
)

// The yes/no values: what exports write, and their names.
var (
	valueYes = Value{ID: "yes", Name: regulation.Text{VI: "có", EN: "yes"}}
	valueNo  = Value{ID: "no", Name: regulation.Text{VI: "không", EN: "no"}}
)

var statusNames = map[system.Status]regulation.Text{
	system.Planned:   {VI: "Đang thiết kế, xây dựng", EN: "Planned"},
	system.Operating: {VI: "Đang vận hành", EN: "Operating"},
	system.Retired:   {VI: "Đã dừng vận hành", EN: "Retired"},
}

var hostingNames = map[system.Hosting]regulation.Text{
	system.OnPremises: {VI: "Tại trụ sở", EN: "On premises"},
	system.DataCentre: {VI: "Trung tâm dữ liệu", EN: "Data centre"},
	system.Cloud:      {VI: "Điện toán đám mây", EN: "Cloud"},
	system.Hybrid:     {VI: "Kết hợp", EN: "Hybrid"},
}

// aliases are other headers read as a column: the shorter or older names
// people use for it.
var aliases = map[string][]string{
	KeyHosting:      {"Hình thức triển khai"},
	KeyParentCode:   {"Thuộc hệ thống", "Part of system"},
	KeyOwnerName:    {"Chủ quản hệ thống", "Chủ quản", "Owner"},
	KeyISUnitName:   {"Đơn vị chuyên trách ATTT", "Đơn vị chuyên trách", "IS unit"},
	KeyOperatorName: {"Đơn vị vận hành hệ thống"},
}

// parties are the three organisations of a system, with their key prefix
// and names.
var parties = []struct {
	prefix string
	name   regulation.Text
	help   regulation.Text
	get    func(s *system.System) *system.Party
}{
	{"owner_", regulation.Text{VI: "Chủ quản hệ thống thông tin", EN: "System owner"},
		regulation.Text{VI: "Cơ quan, tổ chức chủ quản hệ thống thông tin.", EN: "The organisation that owns the system (chủ quản)."},
		func(s *system.System) *system.Party { return &s.Owner }},
	{"operator_", regulation.Text{VI: "Đơn vị vận hành", EN: "Operator"},
		regulation.Text{VI: "Đơn vị vận hành hệ thống thông tin.", EN: "The organisation that operates the system."},
		func(s *system.System) *system.Party { return &s.Operator }},
	{"is_unit_", regulation.Text{VI: "Đơn vị chuyên trách về an toàn thông tin", EN: "Specialised information-security unit"},
		regulation.Text{VI: "Đơn vị chuyên trách về an toàn thông tin của chủ quản hệ thống.", EN: "The owner's specialised information-security unit."},
		func(s *system.System) *system.Party { return &s.ISUnit }},
}

// contacts are a party's fields after its name (Circular 12 Art 8.3).
var contacts = []struct {
	suffix string
	name   regulation.Text
	get    func(p *system.Party) *string
}{
	{"representative", regulation.Text{VI: "người đại diện", EN: "representative"}, func(p *system.Party) *string { return &p.Representative }},
	{"title", regulation.Text{VI: "chức vụ", EN: "title"}, func(p *system.Party) *string { return &p.Title }},
	{"address", regulation.Text{VI: "địa chỉ", EN: "address"}, func(p *system.Party) *string { return &p.Address }},
	{"phone", regulation.Text{VI: "điện thoại", EN: "phone"}, func(p *system.Party) *string { return &p.Phone }},
	{"email", regulation.Text{VI: "thư điện tử", EN: "e-mail"}, func(p *system.Party) *string { return &p.Email }},
}

// Columns returns the register's columns in order. The allowed values of
// the profile columns come from p, which must not be nil.
func Columns(p *regulation.Pack) []Column {
	cols := []Column{
		{Key: KeyCode, Header: t("Mã hệ thống", "System code"), Kind: KindText, Required: true, MaxLen: maxCode,
			Help: t("Mã duy nhất của hệ thống trong sổ đăng ký: tối đa 64 ký tự, không có khoảng trắng hoặc dấu /.",
				"The system's unique code in the register: up to 64 characters, no spaces or slashes.")},
		{Key: KeyName, Header: t("Tên hệ thống", "System name"), Kind: KindText, Required: true, MaxLen: maxName,
			Help: t("Tên đầy đủ của hệ thống thông tin (tối đa 300 ký tự).", "The system's full name (up to 300 characters).")},
		{Key: KeyUnitCode, Header: t("Mã đơn vị", "Unit code"), Kind: KindText, Required: true, MaxLen: maxCode,
			Help: t("Mã của đơn vị trong Khiên quản lý hệ thống.", "The code of the Khiên unit the system belongs to.")},
		{Key: KeyStatus, Header: t("Trạng thái", "Status"), Kind: KindEnum, Required: true, Values: statusValues(),
			Help: t("Hệ thống đang ở giai đoạn nào.", "Where the system is in its life.")},
		{Key: KeyHosting, Header: t("Nơi đặt", "Hosting"), Kind: KindEnum, Required: true, Values: hostingValues(),
			Help: t("Hệ thống được triển khai ở đâu.", "Where the system runs.")},
		{Key: KeyParentCode, Header: t("Mã hệ thống cha", "Parent system code"), Kind: KindText, MaxLen: maxCode,
			Help: t("Khi hệ thống là thành phần của một hệ thống khác: mã của hệ thống đó (đã có trong sổ hoặc ở một dòng khác của tệp này). Để trống nếu không có.",
				"When the system is a component of another: that system's code (already registered, or on another row of this file). Blank if none.")},
	}
	cols = append(cols, profileColumns(p)...)
	for _, pt := range parties {
		cols = append(cols, Column{Key: pt.prefix + "name", Header: pt.name, Kind: KindText, MaxLen: maxName,
			Help: joinHelp(pt.help, t("Tên (tối đa 300 ký tự).", "Name (up to 300 characters)."))})
	}
	cols = append(cols,
		Column{Key: KeyScope, Header: t("Phạm vi, quy mô", "Scope and scale"), Kind: KindText, MaxLen: maxLong,
			Help: t("Phạm vi, quy mô, người sử dụng và đối tượng phục vụ của hệ thống.", "The system's scope and scale, its users and beneficiaries.")},
		Column{Key: KeyDescription, Header: t("Mô tả", "Description"), Kind: KindText, MaxLen: maxLong,
			Help: t("Mô tả ngắn về chức năng của hệ thống.", "A short description of what the system does.")},
	)
	for _, pt := range parties {
		for _, c := range contacts {
			cols = append(cols, Column{
				Key:    pt.prefix + c.suffix,
				Header: regulation.Text{VI: pt.name.VI + " – " + c.name.VI, EN: pt.name.EN + " – " + c.name.EN},
				Help: regulation.Text{
					VI: upperFirst(c.name.VI) + " của " + lowerFirst(pt.name.VI) + ".",
					EN: "The " + lowerFirst(pt.name.EN) + "'s " + c.name.EN + ".",
				},
				Kind: KindText, MaxLen: maxContact,
			})
		}
	}
	return cols
}

func profileColumns(p *regulation.Pack) []Column {
	field := func(name string, kind Kind, help regulation.Text) Column {
		label, _ := regulation.FieldLabel(name)
		return Column{Key: name, Field: name, Kind: kind, Help: help,
			Header: regulation.Text{VI: upperFirst(label.VI), EN: upperFirst(label.EN)}}
	}
	yesNo := func(name string, help regulation.Text) Column {
		c := field(name, KindBool, joinHelp(help, t("Để trống nếu chưa xác định.", "Leave blank if not known.")))
		c.Values = []Value{valueYes, valueNo}
		return c
	}

	var systemTypes, infoTypes, grades, scopes, works []Value
	for _, st := range p.SystemTypes() {
		systemTypes = append(systemTypes, Value{ID: st.ID, Name: st.Name})
	}
	var graded []string
	for _, it := range p.InfoTypes() {
		infoTypes = append(infoTypes, Value{ID: it.ID, Name: it.Name})
		if len(it.Grades) > 0 {
			graded = append(graded, it.ID)
		}
		for _, g := range it.Grades {
			grades = append(grades, Value{ID: g.ID, Name: g.Name})
		}
	}
	for _, c := range p.InfrastructureScopes() {
		scopes = append(scopes, Value{ID: c.ID, Name: c.Name})
	}
	for _, c := range p.WorksGrades() {
		works = append(works, Value{ID: c.ID, Name: c.Name})
	}
	levels := []Value{{ID: "0", Name: t("Không cung cấp dịch vụ công trực tuyến", "No online public service")}}
	maxLevel := 0
	for _, l := range p.OnlinePublicServiceLevels() {
		levels = append(levels, Value{ID: strconv.Itoa(l.Level), Name: l.Name})
		maxLevel = max(maxLevel, l.Level)
	}

	st := field(regulation.FieldSystemType, KindEnum, t(
		"Loại hệ thống thông tin (Điều 6 khoản 2 Nghị định 85/2016/NĐ-CP).",
		"The kind of information system (Decree 85/2016 Art. 6.2)."))
	st.Required, st.Values = true, systemTypes
	it := field(regulation.FieldInfoTypes, KindList, t(
		"Các loại thông tin hệ thống xử lý, cách nhau bởi dấu phẩy hoặc chấm phẩy (Điều 6 khoản 1 Nghị định 85/2016/NĐ-CP). Để trống nếu chưa xác định.",
		"The kinds of information the system processes, separated by commas or semicolons (Decree 85/2016 Art. 6.1). Leave blank if not known."))
	it.Values = infoTypes
	gradeHelp := t("Độ mật cao nhất của thông tin bí mật nhà nước được xử lý. Chỉ điền khi loại thông tin gồm thông tin bí mật nhà nước.",
		"The highest classification of the state secrets processed. Only when the information processed includes state secrets.")
	if len(graded) > 0 {
		gradeHelp = joinHelp(gradeHelp, regulation.Text{VI: "(" + joinIDs(graded) + ")", EN: "(" + joinIDs(graded) + ")"})
	}
	sg := field(regulation.FieldStateSecretGrade, KindEnum, gradeHelp)
	sg.Values = grades
	ds := field(regulation.FieldDataSubjects, KindInt, t(
		"Số người sử dụng có thông tin riêng, thông tin cá nhân được hệ thống xử lý (số nguyên, không âm). Để trống nếu không xử lý hoặc chưa xác định.",
		"The number of users whose private or personal information the system processes (a whole number, not negative). Blank if none or not known."))
	ops := field(regulation.FieldOnlinePublicServiceLevel, KindInt, t(
		"Mức độ cao nhất của dịch vụ công trực tuyến hệ thống cung cấp; 0 nếu không cung cấp. Để trống nếu chưa xác định.",
		"The highest level of online public service the system provides; 0 if none. Blank if not known."))
	ops.Values, ops.Max = levels, maxLevel
	is := field(regulation.FieldInfrastructureScope, KindEnum, t(
		"Với hệ thống cơ sở hạ tầng thông tin: phạm vi phục vụ. Để trống nếu không áp dụng.",
		"For an information-infrastructure system: whom it serves. Blank if not applicable."))
	is.Values = scopes
	wg := field(regulation.FieldWorksGrade, KindEnum, t(
		"Với hệ thống điều khiển công nghiệp: cấp của công trình xây dựng được điều khiển. Để trống nếu không áp dụng.",
		"For an industrial control system: the grade of the construction works it controls. Blank if not applicable."))
	wg.Values = works

	return []Column{
		st, it, sg, ds, ops,
		yesNo(regulation.FieldConditionalBusinessLine, t(
			"Dịch vụ trực tuyến thuộc ngành nghề kinh doanh có điều kiện.",
			"The online services belong to a conditional business line.")),
		is, wg,
		yesNo(regulation.FieldRequires24x7, t("Hệ thống phải vận hành 24/7.", "The system must run 24/7.")),
		yesNo(regulation.FieldUnplannedDowntimeAcceptable, t(
			"Chấp nhận việc ngừng vận hành không theo kế hoạch.", "An unplanned stop is acceptable.")),
		yesNo(regulation.FieldNationalEGovernment, t(
			"Hệ thống thông tin quốc gia phục vụ Chính phủ điện tử.", "A national information system serving e-government.")),
		yesNo(regulation.FieldEspeciallyImportantNationalData, t(
			"Hệ thống hoặc cơ sở dữ liệu quốc gia lưu trữ tập trung dữ liệu đặc biệt quan trọng.",
			"A national system or database storing especially important data centrally.")),
	}
}

func statusValues() []Value {
	out := make([]Value, len(system.Statuses))
	for i, s := range system.Statuses {
		out[i] = Value{ID: string(s), Name: named(statusNames[s], string(s))}
	}
	return out
}

func hostingValues() []Value {
	out := make([]Value, len(system.Hostings))
	for i, h := range system.Hostings {
		out[i] = Value{ID: string(h), Name: named(hostingNames[h], string(h))}
	}
	return out
}

// named returns n, or id in both languages when n is empty (a status or
// hosting kind added to package system without a name here).
func named(n regulation.Text, id string) regulation.Text {
	if n.IsZero() {
		return regulation.Text{VI: id, EN: id}
	}
	return n
}

func t(vi, en string) regulation.Text { return regulation.Text{VI: vi, EN: en} }

func joinHelp(a, b regulation.Text) regulation.Text {
	return regulation.Text{VI: a.VI + " " + b.VI, EN: a.EN + " " + b.EN}
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}
