package stix

import "strings"

// predefinedExtensions checks the extensions STIX 2.1 defines for its
// cyber-observables (§6), keyed by "type extension-name". Other "-ext"
// names (STIX 2.0-style custom extensions, deprecated in 2.1 §11.3) are
// accepted as they are.
var predefinedExtensions = map[string]extensionCheck{
	// 6.7.2
	"file archive-ext": extensionRule([]prop{
		aRefList("contains_refs", refTo("file", "directory")).req(), aString("comment"),
	}),
	// 6.7.3
	"file ntfs-ext": extensionRule([]prop{aString("sid")}, "sid", "alternate_data_streams").
		with(func(v view) error { return listOf(v, "alternate_data_streams", alternateDataStream, nil) }),
	// 6.7.4
	"file pdf-ext": extensionRule([]prop{
		aString("version"), aBool("is_optimized"), aDict("document_info_dict", kDictStrings),
		aString("pdfid0"), aString("pdfid1"),
	}, "version", "is_optimized", "document_info_dict", "pdfid0", "pdfid1"),
	// 6.7.5
	"file raster-image-ext": extensionRule([]prop{
		anInt("image_height"), anInt("image_width"), anInt("bits_per_pixel"), aDict("exif_tags", kDictIntOrString),
	}, "image_height", "image_width", "bits_per_pixel", "exif_tags"),
	// 6.7.6
	"file windows-pebinary-ext": extensionRule([]prop{
		aString("pe_type").req(), aString("imphash"), aHex("machine_hex"), anInt("number_of_sections").nonNegative(),
		aTimestamp("time_date_stamp"), aHex("pointer_to_symbol_table_hex"), anInt("number_of_symbols").nonNegative(),
		anInt("size_of_optional_header").nonNegative(), aHex("characteristics_hex"), someHashes("file_header_hashes"),
		anObject("optional_header"),
	}, "imphash", "machine_hex", "number_of_sections", "time_date_stamp", "pointer_to_symbol_table_hex",
		"number_of_symbols", "size_of_optional_header", "characteristics_hex", "file_header_hashes",
		"optional_header", "sections").
		with(func(v view) error {
			if h := v.get("optional_header"); h != nil {
				if err := checkProps(v.nested("optional_header", h), peOptionalHeader); err != nil {
					return err
				}
			}
			return listOf(v, "sections", peSection, nil)
		}),
	// 6.12.2
	"network-traffic http-request-ext": extensionRule([]prop{
		aString("request_method").req(), aString("request_value").req(), aString("request_version"),
		aDict("request_header", kDictStringLists), anInt("message_body_length"),
		aRef("message_body_data_ref", refTo("artifact")),
	}),
	// 6.12.3
	"network-traffic icmp-ext": extensionRule([]prop{aHex("icmp_type_hex").req(), aHex("icmp_code_hex").req()}),
	// 6.12.4
	"network-traffic socket-ext": extensionRule([]prop{
		anEnum("address_family", "AF_UNSPEC", "AF_INET", "AF_IPX", "AF_APPLETALK", "AF_NETBIOS", "AF_INET6", "AF_IRDA", "AF_BTH").req(),
		aBool("is_blocking"), aBool("is_listening"), aDict("options", kDictInts),
		anEnum("socket_type", "SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_RDM", "SOCK_SEQPACKET"),
		anInt("socket_descriptor").nonNegative(), anInt("socket_handle"),
	}),
	// 6.12.5
	"network-traffic tcp-ext": extensionRule([]prop{aHex("src_flags_hex"), aHex("dst_flags_hex")},
		"src_flags_hex", "dst_flags_hex"),
	// 6.13.2 (the property table says windows_title, the JSON schema
	// window_title; either counts)
	"process windows-process-ext": extensionRule([]prop{
		aBool("aslr_enabled"), aBool("dep_enabled"), aString("priority"), aString("owner_sid"),
		aString("window_title"), aString("windows_title"), aDict("startup_info", kDict),
		anEnum("integrity_level", "low", "medium", "high", "system"),
	}, "aslr_enabled", "dep_enabled", "priority", "owner_sid", "window_title", "windows_title", "startup_info", "integrity_level"),
	// 6.13.3
	"process windows-service-ext": extensionRule([]prop{
		aString("service_name"), aStringList("descriptions"), aString("display_name"), aString("group_name"),
		anEnum("start_type", "SERVICE_AUTO_START", "SERVICE_BOOT_START", "SERVICE_DEMAND_START", "SERVICE_DISABLED", "SERVICE_SYSTEM_ALERT"),
		aRefList("service_dll_refs", refTo("file")),
		anEnum("service_type", "SERVICE_KERNEL_DRIVER", "SERVICE_FILE_SYSTEM_DRIVER", "SERVICE_WIN32_OWN_PROCESS", "SERVICE_WIN32_SHARE_PROCESS"),
		anEnum("service_status", "SERVICE_CONTINUE_PENDING", "SERVICE_PAUSE_PENDING", "SERVICE_PAUSED", "SERVICE_RUNNING",
			"SERVICE_START_PENDING", "SERVICE_STOP_PENDING", "SERVICE_STOPPED"),
	}, "service_name", "descriptions", "display_name", "group_name", "start_type", "service_dll_refs", "service_type", "service_status"),
	// 6.16.2
	"user-account unix-account-ext": extensionRule([]prop{
		anInt("gid"), aStringList("groups"), aString("home_dir"), aString("shell"),
	}, "gid", "groups", "home_dir", "shell"),
}

// extensionCheck checks one predefined extension: its properties, that it
// has at least one of oneOf (when given), and any extra rule.
type extensionCheck struct {
	props []prop
	oneOf []string
	extra func(v view) error
}

func extensionRule(props []prop, oneOf ...string) extensionCheck {
	return extensionCheck{props: props, oneOf: oneOf}
}

func (c extensionCheck) with(extra func(v view) error) extensionCheck {
	c.extra = extra
	return c
}

func (c extensionCheck) check(o *Object, field string, body []byte) error {
	v := top(o).nested(field, body)
	if err := checkProps(v, c.props); err != nil {
		return err
	}
	if len(c.oneOf) > 0 {
		if err := v.atLeastOne("STIX 2.1 §6", c.oneOf...); err != nil {
			return invalid(o.ID, field, "must have at least one of %s (STIX 2.1 §6)", strings.Join(c.oneOf, ", "))
		}
	}
	if c.extra != nil {
		return c.extra(v)
	}
	return nil
}

// listOf checks an optional non-empty list of objects, each against props
// and then extra.
func listOf(v view, name string, props []prop, extra func(view) error) error {
	raw := v.get(name)
	if raw == nil {
		return nil
	}
	n := 0
	isList, err := eachElem(raw, func(i int, e []byte) error {
		n++
		if !isObject(e) {
			return v.failAt(name, i, "must be an object")
		}
		ev := v.item(name, i, e)
		if err := checkProps(ev, props); err != nil {
			return err
		}
		if extra != nil {
			return extra(ev)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !isList || n == 0 {
		return v.fail(name, "must be a non-empty list")
	}
	return nil
}

var alternateDataStream = []prop{aString("name").req(), someHashes("hashes"), anInt("size").nonNegative()}

var peSection = []prop{aString("name").req(), anInt("size").nonNegative(), aNumber("entropy"), someHashes("hashes")}

var peOptionalHeader = []prop{
	aHex("magic_hex"), anInt("major_linker_version"), anInt("minor_linker_version"),
	anInt("size_of_code").nonNegative(), anInt("size_of_initialized_data").nonNegative(),
	anInt("size_of_uninitialized_data").nonNegative(), anInt("address_of_entry_point"), anInt("base_of_code"),
	anInt("base_of_data"), anInt("image_base"), anInt("section_alignment"), anInt("file_alignment"),
	anInt("major_os_version"), anInt("minor_os_version"), anInt("major_image_version"), anInt("minor_image_version"),
	anInt("major_subsystem_version"), anInt("minor_subsystem_version"), aHex("win32_version_value_hex"),
	anInt("size_of_image").nonNegative(), anInt("size_of_headers").nonNegative(), aHex("checksum_hex"),
	aHex("subsystem_hex"), aHex("dll_characteristics_hex"), anInt("size_of_stack_reserve").nonNegative(),
	anInt("size_of_stack_commit").nonNegative(), anInt("size_of_heap_reserve").nonNegative(),
	anInt("size_of_heap_commit").nonNegative(), aHex("loader_flags_hex"), anInt("number_of_rva_and_sizes"),
	someHashes("hashes"),
}
