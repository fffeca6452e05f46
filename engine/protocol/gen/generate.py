#!/usr/bin/env python3
"""Generate C++ message types from Kafka's JSON message definitions.

Usage: generate.py <messages-dir> <output-dir>

Reads every <messages-dir>/*.json (JSON with // comments, in Kafka's message definition format) and
writes, under <output-dir>/engine/protocol/messages/:
  <snake_case_api>.h/.cpp   the request and response structs of one API
  all.h                     includes every message header; visitApi() / forEachApi()
  api_info.h/.cpp           the table of {key, name, min, max, first flexible version}
  samples.h                 fill() overloads that populate any message for round-trip tests
Python standard library only.
"""
import json
import os
import re
import sys

MAX_VERSION = 0x7FFF
CPP_KEYWORDS = {
    "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case",
    "catch", "char", "class", "compl", "concept", "const", "consteval", "constexpr", "constinit",
    "const_cast", "continue", "co_await", "co_return", "co_yield", "decltype", "default", "delete",
    "do", "double", "dynamic_cast", "else", "enum", "explicit", "export", "extern", "false", "float",
    "for", "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace", "new", "noexcept",
    "not", "not_eq", "nullptr", "operator", "or", "or_eq", "private", "protected", "public",
    "register", "reinterpret_cast", "requires", "return", "short", "signed", "sizeof", "static",
    "static_assert", "static_cast", "struct", "switch", "template", "this", "thread_local", "throw",
    "true", "try", "typedef", "typeid", "typename", "union", "unsigned", "using", "virtual", "void",
    "volatile", "wchar_t", "while", "xor", "xor_eq",
}
RESERVED_MEMBERS = {"apiKey", "minVersion", "maxVersion", "firstFlexibleVersion", "write", "read",
                    "encode", "version", "flexible"}

# kafka type -> (c++ type, writer method, reader method)
PRIMITIVES = {
    "int8": ("std::int8_t", "writeInt8", "readInt8"),
    "int16": ("std::int16_t", "writeInt16", "readInt16"),
    "int32": ("std::int32_t", "writeInt32", "readInt32"),
    "int64": ("std::int64_t", "writeInt64", "readInt64"),
    "uint16": ("std::uint16_t", "writeUint16", "readUint16"),
    "uint32": ("std::uint32_t", "writeUint32", "readUint32"),
    "float64": ("double", "writeFloat64", "readFloat64"),
    "bool": ("bool", "writeBool", "readBool"),
    "uuid": ("Uuid", "writeUuid", "readUuid"),
}
INT_LIMITS = {"int8": 8, "int16": 16, "int32": 32, "int64": 64}


def strip_comments(text):
    out = []
    i, n = 0, len(text)
    in_string = False
    while i < n:
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if c == '"':
                in_string = False
            i += 1
        elif c == '"':
            in_string = True
            out.append(c)
            i += 1
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def parse_versions(spec):
    """'3+', '0-7', '5', 'none' -> (lo, hi) or None."""
    if spec is None:
        return None
    spec = str(spec).strip()
    if spec == "none" or spec == "":
        return None
    if spec.endswith("+"):
        return (int(spec[:-1]), MAX_VERSION)
    if "-" in spec:
        lo, hi = spec.split("-")
        return (int(lo), int(hi))
    return (int(spec), int(spec))


def intersect(a, b):
    if a is None or b is None:
        return None
    lo, hi = max(a[0], b[0]), min(a[1], b[1])
    return (lo, hi) if lo <= hi else None


def cond(rng, valid):
    """C++ condition 'version in rng', simplified against the message's valid range."""
    rng = intersect(rng, valid)
    if rng is None:
        return "false"
    parts = []
    if rng[0] > valid[0]:
        parts.append("version >= %d" % rng[0])
    if rng[1] < valid[1]:
        parts.append("version <= %d" % rng[1])
    if not parts:
        return "true"
    return "(" + " && ".join(parts) + ")"


def member_name(name, reserved):
    result = name[0].lower() + name[1:]
    if result in CPP_KEYWORDS or result in reserved:
        result += "_"
    return result


def snake(name):
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def c_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Field:
    def __init__(self, spec, structs, common, valid, reserved):
        self.name = spec["name"]
        self.member = member_name(self.name, reserved)
        self.type = spec["type"]
        self.versions = parse_versions(spec.get("versions"))
        self.nullable = parse_versions(spec.get("nullableVersions"))
        self.tagged = parse_versions(spec.get("taggedVersions"))
        self.tag = spec.get("tag")
        self.default = spec.get("default")
        self.is_array = self.type.startswith("[]")
        self.elem = self.type[2:] if self.is_array else self.type
        self.struct = None
        if "fields" in spec:
            self.struct = self.elem
            structs.append(Struct(self.elem, spec["fields"], structs, common, valid, set()))
        elif self.elem in common:
            self.struct = self.elem
        elif self.elem not in PRIMITIVES and self.elem not in ("string", "bytes", "records"):
            raise SystemExit("unknown type %s of field %s" % (self.type, self.name))

    @property
    def is_nullable(self):
        return self.nullable is not None

    def base_type(self):
        if self.is_array:
            return "std::vector<%s>" % self.elem_type()
        return self.elem_type()

    def elem_type(self):
        if self.struct:
            return self.struct
        if self.elem == "string":
            return "std::string"
        if self.elem == "bytes":
            return "std::vector<std::uint8_t>"
        if self.elem == "records":
            return "Records"
        return PRIMITIVES[self.elem][0]

    def cpp_type(self):
        base = self.base_type()
        if self.is_nullable and self.elem != "records":
            return "std::optional<%s>" % base
        return base

    def init(self):
        """Initializer expression (inside braces) for the default value."""
        d = self.default
        if self.is_nullable and d == "null":
            return "std::nullopt"
        if self.is_nullable and (self.is_array or self.struct or self.elem == "bytes"):
            return "std::in_place"  # Kafka's default for a nullable field is present and empty
        if self.is_array or self.struct or self.elem in ("bytes", "records"):
            return ""
        if self.elem == "string":
            return c_string(d) if d not in (None, "null") else "std::string()"
        if self.elem == "bool":
            return "true" if str(d).lower() == "true" else "false"
        if self.elem == "uuid":
            return ""
        if self.elem == "float64":
            return repr(float(d)) if d not in (None, "") else "0.0"
        value = int(str(d), 0) if d not in (None, "") else 0
        bits = INT_LIMITS.get(self.elem)
        ctype = PRIMITIVES[self.elem][0]
        if bits and value == -(1 << (bits - 1)):
            return "std::numeric_limits<%s>::min()" % ctype
        if self.elem == "int64" or self.elem == "uint32":
            return "%s(%dLL)" % (ctype, value) if self.elem == "int64" else "%dU" % value
        return str(value)


class Struct:
    def __init__(self, name, fields, structs, common, valid, reserved):
        self.name = name
        self.fields = [Field(f, structs, common, valid, reserved) for f in fields]
        self.tagged = sorted([f for f in self.fields if f.tagged is not None], key=lambda f: f.tag)


class Message:
    def __init__(self, spec):
        self.name = spec["name"]
        self.api_key = int(spec["apiKey"])
        self.kind = spec["type"]
        self.valid = parse_versions(spec["validVersions"])
        self.flexible = parse_versions(spec.get("flexibleVersions", "none"))
        self.first_flexible = self.flexible[0] if self.flexible else -1
        self.structs = []  # dependency order: nested first
        common = {c["name"]: c for c in spec.get("commonStructs", [])}
        for cname, c in common.items():
            self.structs.append(Struct(cname, c["fields"], self.structs, common, self.valid, set()))
        self.top = Struct(self.name, spec["fields"], self.structs, common, self.valid,
                          RESERVED_MEMBERS)
        seen = set()
        unique = []
        for s in self.structs:
            if s.name not in seen:
                seen.add(s.name)
                unique.append(s)
        self.structs = unique


# ---------------------------------------------------------------------------------------------
# Code emission


def flex_cond(msg):
    if msg.flexible is None:
        return "false"
    return cond(msg.flexible, msg.valid)


def write_scalar(f, expr, ind, writer, flex):
    """Write one non-array element (expr is a non-optional value)."""
    e = f.elem
    if f.struct:
        return [ind + "%s.write(%s, version);" % (expr, writer)]
    if e == "string":
        return [ind + "%s.writeString(%s, %s);" % (writer, expr, flex)]
    if e == "bytes":
        return [ind + "%s.writeBytes(%s, %s);" % (writer, expr, flex)]
    return [ind + "%s.%s(%s);" % (writer, PRIMITIVES[e][1], expr)]


def write_field(f, msg, ind, writer="w", flex="flexible"):
    x = "this->" + f.member
    nc = cond(f.nullable, msg.valid) if f.is_nullable else "false"
    out = []
    if f.elem == "records" and not f.is_array:
        out.append(ind + "if (%s || !%s.isNull) {" % (nc, x))
        out.append(ind + "    %s.writeRecords(%s, %s);" % (writer, x, flex))
        out.append(ind + "} else {")
        out.append(ind + "    %s.writeBytes(std::span<const std::uint8_t>{}, %s);" % (writer, flex))
        out.append(ind + "}")
        return out
    if f.is_array:
        val = x
        if f.is_nullable:
            out.append(ind + "if (!%s.has_value()) {" % x)
            out.append(ind + "    %s.writeArrayLength(%s ? -1 : 0, %s);" % (writer, nc, flex))
            out.append(ind + "} else {")
            val = "(*%s)" % x
            ind2 = ind + "    "
        else:
            ind2 = ind
        out.append(ind2 + "%s.writeArrayLength(static_cast<std::int32_t>(%s.size()), %s);"
                   % (writer, val, flex))
        out.append(ind2 + "for (const auto& element : %s) {" % val)
        out.extend(write_scalar(f, "element", ind2 + "    ", writer, flex))
        out.append(ind2 + "}")
        if f.is_nullable:
            out.append(ind + "}")
        return out
    if not f.is_nullable:
        return write_scalar(f, x, ind, writer, flex)
    # nullable scalar: string, bytes or struct
    if f.struct:
        out.append(ind + "if (%s) {" % nc)
        out.append(ind + "    %s.writeInt8(%s.has_value() ? 1 : -1);" % (writer, x))
        out.append(ind + "    if (%s.has_value()) %s->write(%s, version);" % (x, x, writer))
        out.append(ind + "} else {")
        out.append(ind + "    %s.value_or(%s{}).write(%s, version);" % (x, f.struct, writer))
        out.append(ind + "}")
        return out
    if f.elem == "string":
        out.append(ind + "if (%s) %s.writeNullableString(%s, %s);" % (nc, writer, x, flex))
        out.append(ind + "else %s.writeString(%s.value_or(std::string()), %s);" % (writer, x, flex))
        return out
    if f.elem == "bytes":
        out.append(ind + "if (%s) %s.writeNullableBytes(%s, %s);" % (nc, writer, x, flex))
        out.append(ind + "else %s.writeBytes(%s.value_or(std::vector<std::uint8_t>()), %s);"
                   % (writer, x, flex))
        return out
    raise SystemExit("unsupported nullable type " + f.type)


def read_scalar(f, target, ind, flex="flexible"):
    e = f.elem
    if f.struct:
        return [ind + "%s.read(r, version);" % target]
    if e == "string":
        return [ind + "%s = r.readString(%s);" % (target, flex)]
    if e == "bytes":
        return [ind + "%s = r.readBytes(%s);" % (target, flex)]
    return [ind + "%s = r.%s();" % (target, PRIMITIVES[e][2])]


def read_field(f, msg, ind, flex="flexible"):
    x = "this->" + f.member
    nc = cond(f.nullable, msg.valid) if f.is_nullable else "false"
    out = []
    if f.elem == "records" and not f.is_array:
        return [ind + "%s = r.readRecords(%s);" % (x, flex)]
    if f.is_array:
        out.append(ind + "{")
        out.append(ind + "    const std::int32_t count = r.readArrayLength(%s);" % flex)
        out.append(ind + "    if (count < 0) {")
        if f.is_nullable:
            out.append(ind + "        if (%s) %s = std::nullopt; else r.fail();" % (nc, x))
        else:
            out.append(ind + "        r.fail();")
        out.append(ind + "    } else {")
        out.append(ind + "        %s items;" % f.base_type())
        out.append(ind + "        for (std::int32_t i = 0; i < count && r.ok(); ++i) {")
        out.append(ind + "            %s element{};" % f.elem_type())
        out.extend(read_scalar(f, "element", ind + "            ", flex))
        out.append(ind + "            items.push_back(std::move(element));")
        out.append(ind + "        }")
        out.append(ind + "        %s = std::move(items);" % x)
        out.append(ind + "    }")
        out.append(ind + "}")
        return out
    if not f.is_nullable:
        return read_scalar(f, x, ind, flex)
    if f.struct:
        out.append(ind + "if (!(%s) || r.readInt8() >= 0) {" % nc)
        out.append(ind + "    %s = %s{};" % (x, f.struct))
        out.append(ind + "    %s->read(r, version);" % x)
        out.append(ind + "} else {")
        out.append(ind + "    %s = std::nullopt;" % x)
        out.append(ind + "}")
        return out
    if f.elem == "string":
        out.append(ind + "if (%s) %s = r.readNullableString(%s);" % (nc, x, flex))
        out.append(ind + "else %s = r.readString(%s);" % (x, flex))
        return out
    if f.elem == "bytes":
        out.append(ind + "if (%s) %s = r.readNullableBytes(%s);" % (nc, x, flex))
        out.append(ind + "else %s = r.readBytes(%s);" % (x, flex))
        return out
    raise SystemExit("unsupported nullable type " + f.type)


def struct_decl(s, msg, ind, top):
    lines = []
    lines.append(ind + "struct %s {" % s.name)
    i2 = ind + "    "
    if top:
        rng = msg.valid
        lines.append(i2 + "static constexpr std::int16_t apiKey = %d;" % msg.api_key)
        lines.append(i2 + "static constexpr std::int16_t minVersion = %d;" % rng[0])
        lines.append(i2 + "static constexpr std::int16_t maxVersion = %d;" % rng[1])
        lines.append(i2 + "static constexpr std::int16_t firstFlexibleVersion = %d;"
                     % msg.first_flexible)
        lines.append("")
        for inner in msg.structs:
            lines.extend(struct_decl(inner, msg, i2, False))
            lines.append("")
    for f in s.fields:
        init = f.init()
        lines.append(i2 + "%s %s{%s};" % (f.cpp_type(), f.member, init))
    if s.fields:
        lines.append("")
    lines.append(i2 + "void write(Writer& w, std::int16_t version) const;")
    lines.append(i2 + "void read(Reader& r, std::int16_t version);")
    if top:
        lines.append(i2 + "[[nodiscard]] std::vector<std::uint8_t> encode(std::int16_t version) const;")
    lines.append(i2 + "bool operator==(const %s&) const = default;" % s.name)
    lines.append(ind + "};")
    return lines


def is_default_expr(f):
    return "(this->%s == %s{%s})" % (f.member, f.cpp_type(), f.init())


def struct_impl(s, msg, qual):
    out = []
    fc = flex_cond(msg)
    out.append("void %s::write([[maybe_unused]] Writer& w, [[maybe_unused]] std::int16_t version) const {"
               % qual)
    out.append("    [[maybe_unused]] const bool flexible = %s;" % fc)
    for f in s.fields:
        present = cond(f.versions, msg.valid)
        if present == "false":
            continue
        if f.tagged is not None:
            tagged_c = cond(f.tagged, msg.valid)
            if tagged_c == "true":
                continue
            present = "(%s && !%s)" % (present, tagged_c)
        if present == "true":
            out.extend(write_field(f, msg, "    "))
        else:
            out.append("    if %s {" % (present if present.startswith("(") else "(" + present + ")"))
            out.extend(write_field(f, msg, "        "))
            out.append("    }")
    out.append("    if (flexible) {")
    if not s.tagged:
        out.append("        w.writeUnsignedVarint(0);")
    else:
        out.append("        std::uint32_t numTagged = 0;")
        for f in s.tagged:
            c = "%s && %s" % (cond(f.tagged, msg.valid), cond(f.versions, msg.valid))
            out.append("        if (%s && !%s) ++numTagged;" % (c, is_default_expr(f)))
        out.append("        w.writeUnsignedVarint(numTagged);")
        for f in s.tagged:
            c = "%s && %s" % (cond(f.tagged, msg.valid), cond(f.versions, msg.valid))
            out.append("        if (%s && !%s) {" % (c, is_default_expr(f)))
            out.append("            std::vector<std::uint8_t> tagged;")
            out.append("            Writer tw(tagged);")
            out.extend(write_field(f, msg, "            ", "tw", "true"))
            out.append("            w.writeUnsignedVarint(%d);" % f.tag)
            out.append("            w.writeUnsignedVarint(static_cast<std::uint32_t>(tagged.size()));")
            out.append("            w.writeRaw(tagged);")
            out.append("        }")
    out.append("    }")
    out.append("}")
    out.append("")
    out.append("void %s::read([[maybe_unused]] Reader& r, [[maybe_unused]] std::int16_t version) {" % qual)
    out.append("    [[maybe_unused]] const bool flexible = %s;" % fc)
    for f in s.fields:
        present = cond(f.versions, msg.valid)
        if present == "false":
            continue
        if f.tagged is not None:
            tagged_c = cond(f.tagged, msg.valid)
            if tagged_c == "true":
                continue
            present = "(%s && !%s)" % (present, tagged_c)
        if present == "true":
            out.extend(read_field(f, msg, "    "))
        else:
            out.append("    if %s {" % (present if present.startswith("(") else "(" + present + ")"))
            out.extend(read_field(f, msg, "        "))
            out.append("    }")
        out.append("    if (!r.ok()) return;")
    out.append("    if (flexible) {")
    if not s.tagged:
        out.append("        r.skipTaggedFields();")
    else:
        out.append("        const std::uint32_t numTagged = r.readUnsignedVarint();")
        out.append("        for (std::uint32_t i = 0; i < numTagged && r.ok(); ++i) {")
        out.append("            const std::uint32_t tag = r.readUnsignedVarint();")
        out.append("            const std::uint32_t size = r.readUnsignedVarint();")
        out.append("            if (!r.ok() || size > r.remaining()) {")
        out.append("                r.fail();")
        out.append("                return;")
        out.append("            }")
        out.append("            const std::size_t start = r.position();")
        out.append("            switch (tag) {")
        for f in s.tagged:
            c = "%s && %s" % (cond(f.tagged, msg.valid), cond(f.versions, msg.valid))
            out.append("            case %d:" % f.tag)
            out.append("                if (%s) {" % c)
            out.extend(read_field(f, msg, "                    ", "true"))
            out.append("                    if (r.ok() && r.position() - start != size) r.fail();")
            out.append("                } else {")
            out.append("                    r.skip(size);")
            out.append("                }")
            out.append("                break;")
        out.append("            default:")
        out.append("                r.skip(size);")
        out.append("                break;")
        out.append("            }")
        out.append("        }")
    out.append("    }")
    out.append("}")
    out.append("")
    return out


HEADER_INCLUDES = """#include "engine/protocol/wire.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>
"""


def gen_api(base, messages):
    h = ["// Generated by engine/protocol/gen/generate.py from Kafka's message definitions.",
         "// Do not edit.", "#pragma once", "", HEADER_INCLUDES, "namespace faultline::protocol {", ""]
    c = ["// Generated by engine/protocol/gen/generate.py. Do not edit.",
         '#include "engine/protocol/messages/%s.h"' % base, "", "namespace faultline::protocol {", ""]
    for m in messages:
        h.extend(struct_decl(m.top, m, "", True))
        h.append("")
        for s in m.structs:
            c.extend(struct_impl(s, m, "%s::%s" % (m.name, s.name)))
        c.extend(struct_impl(m.top, m, m.name))
        c.append("std::vector<std::uint8_t> %s::encode(std::int16_t version) const {" % m.name)
        c.append("    std::vector<std::uint8_t> out;")
        c.append("    Writer w(out);")
        c.append("    write(w, version);")
        c.append("    return out;")
        c.append("}")
        c.append("")
    h.append("} // namespace faultline::protocol")
    c.append("} // namespace faultline::protocol")
    return "\n".join(h) + "\n", "\n".join(c) + "\n"


def sample_fill(s, msg, qual):
    out = ["inline void fill(%s& x, [[maybe_unused]] std::int16_t version, int& seed) {" % qual]
    out.append("    ++seed;")
    for f in s.fields:
        present = cond(f.versions, msg.valid)
        if present == "false":
            continue
        t = "x." + f.member
        nullable_now = cond(f.nullable, msg.valid) if f.is_nullable else "false"
        body = []
        if f.elem == "records" and not f.is_array:
            body.append("const std::vector<std::uint8_t> bytes{1, 2, 3, static_cast<std::uint8_t>(seed)};")
            body.append("%s = Records::copyOf(bytes);" % t)
        elif f.is_array:
            et = ("%s::%s" % (msg.name, f.elem_type())) if f.struct else f.elem_type()
            body.append("std::vector<%s> items;" % et)
            body.append("for (int i = 0; i < 2; ++i) {")
            body.append("    %s element{};" % et)
            body.extend("    " + l for l in sample_scalar(f, "element"))
            body.append("    items.push_back(std::move(element));")
            body.append("}")
            body.append("%s = std::move(items);" % t)
        elif f.struct:
            if f.is_nullable:
                body.append("%s = %s::%s{};" % (t, msg.name, f.struct))
                body.append("fill(*%s, version, seed);" % t)
            else:
                body.append("fill(%s, version, seed);" % t)
        else:
            target = t
            body.extend(sample_scalar(f, target))
        out.append("    if (%s) {" % present)
        if f.is_nullable and nullable_now != "false":
            out.append("        if ((%s) && seed %% 5 == 0) {" % nullable_now)
            out.append("            %s = {};" % t if f.elem == "records" else "            %s = std::nullopt;" % t)
            out.append("        } else {")
            out.extend("            " + l for l in body)
            out.append("        }")
        else:
            out.extend("        " + l for l in body)
        out.append("    }")
    out.append("}")
    out.append("")
    return out


def sample_scalar(f, target):
    e = f.elem
    if f.struct:
        return ["fill(%s, version, seed);" % target]
    if e == "string":
        return ['%s = "s" + std::to_string(++seed);' % target]
    if e == "bytes":
        return ["%s = std::vector<std::uint8_t>{7, static_cast<std::uint8_t>(++seed)};" % target]
    if e == "bool":
        return ["%s = (++seed %% 2) == 0;" % target]
    if e == "uuid":
        return ["%s = Uuid{}; %s[0] = static_cast<std::uint8_t>(++seed); %s[15] = 0xab;"
                % (target, target, target)]
    if e == "float64":
        return ["%s = 0.5 + ++seed;" % target]
    return ["%s = static_cast<%s>(++seed %% 100 + 1);" % (target, PRIMITIVES[e][0])]


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    src, dst = sys.argv[1], sys.argv[2]
    outdir = os.path.join(dst, "engine", "protocol", "messages")
    os.makedirs(outdir, exist_ok=True)
    apis = {}
    for name in sorted(os.listdir(src)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(src, name), encoding="utf-8") as fh:
            spec = json.loads(strip_comments(fh.read()))
        if spec.get("type") not in ("request", "response"):
            continue
        msg = Message(spec)
        entry = apis.setdefault(msg.api_key, {})
        entry[msg.kind] = msg
    written = []

    def emit(path, text):
        full = os.path.join(outdir, path)
        old = None
        if os.path.exists(full):
            with open(full, encoding="utf-8") as fh:
                old = fh.read()
        if old != text:
            with open(full, "w", encoding="utf-8") as fh:
                fh.write(text)
        written.append(path)

    table = []
    headers = []
    for key in sorted(apis):
        entry = apis[key]
        if "request" not in entry:
            raise SystemExit("api %d has no request definition" % key)
        req, resp = entry["request"], entry.get("response")
        if resp is None:
            print("generate.py: warning: api %d has no response definition yet" % key)
        api_name = req.name[: -len("Request")]
        base = snake(api_name)
        hdr, src_text = gen_api(base, [m for m in (req, resp) if m is not None])
        emit(base + ".h", hdr)
        emit(base + ".cpp", src_text)
        headers.append(base + ".h")
        rng = intersect(req.valid, resp.valid) if resp else req.valid
        table.append((key, api_name, rng[0], rng[1], req.first_flexible, req.name,
                      resp.name if resp else None))

    emit("api_info.h", """// Generated by engine/protocol/gen/generate.py. Do not edit.
#pragma once

#include <cstdint>
#include <span>

namespace faultline::protocol {

// One API as its message definitions describe it (versions both request and response know).
struct ApiInfo {
    std::int16_t key;
    const char* name;
    std::int16_t minVersion;
    std::int16_t maxVersion;
    std::int16_t firstFlexibleVersion; // -1 if none
};

[[nodiscard]] const ApiInfo* apiInfo(std::int16_t key); // nullptr if unknown
[[nodiscard]] std::span<const ApiInfo> allApis();       // ordered by key

} // namespace faultline::protocol
""")
    rows = "\n".join('    {%d, "%s", %d, %d, %d},' % t[:5] for t in table)
    emit("api_info.cpp", """// Generated by engine/protocol/gen/generate.py. Do not edit.
#include "engine/protocol/messages/api_info.h"

#include <array>

namespace faultline::protocol {
namespace {
constexpr std::array<ApiInfo, %d> kApis{{
%s
}};
} // namespace

const ApiInfo* apiInfo(std::int16_t key) {
    for (const auto& api : kApis) {
        if (api.key == key) return &api;
    }
    return nullptr;
}

std::span<const ApiInfo> allApis() { return kApis; }

} // namespace faultline::protocol
""" % (len(table), rows))

    inc = "\n".join('#include "engine/protocol/messages/%s"' % h for h in headers)
    pairs = [t for t in table if t[6]]
    cases = "\n".join("    case %d:\n        visitor.template operator()<%s, %s>();\n        return true;"
                      % (t[0], t[5], t[6]) for t in pairs)
    each = "\n".join("    visitor.template operator()<%s, %s>();" % (t[5], t[6]) for t in pairs)
    req_cases = "\n".join("    case %d:\n        visitor.template operator()<%s>();\n        return true;"
                          % (t[0], t[5]) for t in table)
    each_msg = "\n".join("    visitor.template operator()<%s>();" % n
                         for t in table for n in (t[5], t[6]) if n)
    emit("all.h", """// Generated by engine/protocol/gen/generate.py. Do not edit.
#pragma once

#include "engine/protocol/messages/api_info.h"
%s

#include <cstdint>

namespace faultline::protocol {

// Calls visitor.template operator()<Request, Response>() for the API with this key.
// Returns false (and calls nothing) for an unknown key.
template <typename Visitor> bool visitApi(std::int16_t apiKey, Visitor&& visitor) {
    switch (apiKey) {
%s
    default:
        return false;
    }
}

// Calls visitor.template operator()<Request, Response>() for every API, by key.
template <typename Visitor> void forEachApi(Visitor&& visitor) {
%s
}

// Calls visitor.template operator()<Request>() for the request type of this key; false if unknown.
template <typename Visitor> bool visitRequest(std::int16_t apiKey, Visitor&& visitor) {
    switch (apiKey) {
%s
    default:
        return false;
    }
}

// Calls visitor.template operator()<Message>() for every generated request and response type.
template <typename Visitor> void forEachMessage(Visitor&& visitor) {
%s
}

} // namespace faultline::protocol
""" % (inc, cases, each, req_cases, each_msg))

    # samples.h: deterministic non-default content for round-trip tests and fuzz seeds.
    decls = []
    defs = []
    for key in sorted(apis):
        for kind in ("request", "response"):
            m = apis[key].get(kind)
            if m is None:
                continue
            for s in m.structs:
                q = "%s::%s" % (m.name, s.name)
                decls.append("inline void fill(%s& x, std::int16_t version, int& seed);" % q)
                defs.extend(sample_fill(s, m, q))
            decls.append("inline void fill(%s& x, std::int16_t version, int& seed);" % m.name)
            defs.extend(sample_fill(m.top, m, m.name))
    emit("samples.h", """// Generated by engine/protocol/gen/generate.py. Do not edit.
// Fills every field present in a version with deterministic non-default values (for tests).
#pragma once

#include "engine/protocol/messages/all.h"

#include <string>

namespace faultline::protocol::samples {

%s

%s
} // namespace faultline::protocol::samples
""" % ("\n".join(decls), "\n".join(defs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
