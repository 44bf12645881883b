#!/usr/bin/env python3
"""Generate src/dto/generated.rs from botocore's GameLift service model.

The emulator's wire shapes (one Rust type per Smithy shape, named after it) and their
constraint checks (required, min, max, pattern, enum) come from the model, so they cannot
drift from what AWS documents. Every operation of the model gets its shapes and an
`impl Operation for <Input>` naming the operation and its output shape (`Unit` when the model
declares none), whether the emulator implements it or not: `src/ops/mod.rs` binds handlers to
these, so the operation table cannot pair a name with the wrong types.

Usage: python3 tools/codegen/gen_dto.py [--check]
  --check   exit 1 if the checked-in file differs from what would be generated.

The output is checked in, so building the emulator needs no Python.
"""

import gzip
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "src", "dto", "generated.rs")

RUST_KEYWORDS = {
    "type", "match", "ref", "self", "move", "fn", "mod", "struct", "enum", "impl", "trait",
    "loop", "where", "use", "crate", "super", "static", "const", "final", "box", "in", "for",
}


def model_path():
    import botocore  # noqa: PLC0415

    return os.path.join(
        os.path.dirname(botocore.__file__), "data", "gamelift", "2015-10-01", "service-2.json.gz"
    )


def load_model():
    with gzip.open(model_path()) as f:
        return json.load(f)


def snake(name):
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = s.replace("-", "_").lower()
    if s in RUST_KEYWORDS:
        s = "r#" + s
    return s


def lower_camel(name):
    return name[0].lower() + name[1:]


def variant_name(value):
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", value) if p]
    out = []
    for p in parts:
        if p.isupper() or p.islower() or p.isdigit():
            out.append(p[0].upper() + p[1:].lower())
        else:
            out.append(p[0].upper() + p[1:])
    v = "".join(out)
    if v[0].isdigit():
        v = "V" + v
    return v


def rust_str(s):
    hashes = "#"
    while ('"' + hashes) in s:
        hashes += "#"
    return "r" + hashes + '"' + s + '"' + hashes


SURROGATE_PAIR = re.compile(r"\\u(D[89AB][0-9A-F]{2})\\u(D[C-F][0-9A-F]{2})", re.IGNORECASE)


def rust_regex(pattern):
    """The model's pattern in the regex crate's syntax.

    The model writes characters beyond the Basic Multilingual Plane as Java-style UTF-16
    surrogate pairs (`\\uD800\\uDC00-\\uDBFF\\uDFFF`); Rust regexes work on code points and reject
    surrogates, so each pair becomes the code point it encodes (`\\x{10000}-\\x{10FFFF}`).
    """

    def code_point(m):
        high, low = int(m.group(1), 16), int(m.group(2), 16)
        return "\\x{%X}" % (0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))

    return SURROGATE_PAIR.sub(code_point, pattern)


def reachable(model, ops, kinds=("input", "output", "errors")):
    shapes = model["shapes"]
    seen = set()
    stack = []
    for op in ops:
        o = model["operations"][op]
        for k in ("input", "output"):
            if k in o and k in kinds:
                stack.append(o[k]["shape"])
        if "errors" in kinds:
            for e in o.get("errors", []):
                stack.append(e["shape"])
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        s = shapes[n]
        t = s["type"]
        if t == "structure":
            for m in s["members"].values():
                stack.append(m["shape"])
        elif t == "list":
            stack.append(s["member"]["shape"])
        elif t == "map":
            stack.append(s["key"]["shape"])
            stack.append(s["value"]["shape"])
    return seen


SCALARS = {
    "integer": "i32",
    "long": "i64",
    "double": "f64",
    "float": "f32",
    "boolean": "bool",
    "timestamp": "Timestamp",
    "blob": "Blob",
}


class Gen:
    def __init__(self, model, ops):
        self.model = model
        self.shapes = model["shapes"]
        self.ops = ops
        self.patterns = {}
        self.out = []

    def rust_type(self, name):
        s = self.shapes[name]
        t = s["type"]
        if t == "string":
            return name if "enum" in s else "String"
        if t in SCALARS:
            return SCALARS[t]
        if t == "list":
            return "Vec<%s>" % self.rust_type(s["member"]["shape"])
        if t == "map":
            return "BTreeMap<%s, %s>" % (
                self.rust_type(s["key"]["shape"]),
                self.rust_type(s["value"]["shape"]),
            )
        if t == "structure":
            return name
        raise ValueError(t)

    def pattern_static(self, pattern):
        if pattern not in self.patterns:
            self.patterns[pattern] = "PATTERN_%d" % len(self.patterns)
        return self.patterns[pattern]

    def emit(self, line=""):
        self.out.append(line)

    def needs_validation(self, name, stack=()):
        s = self.shapes[name]
        t = s["type"]
        if name in stack:
            return False
        if t == "structure":
            if s.get("required"):
                return True
            return any(self.needs_validation(m["shape"], stack + (name,)) for m in s["members"].values())
        if t == "list":
            return "min" in s or "max" in s or self.needs_validation(s["member"]["shape"], stack + (name,))
        if t == "map":
            return (
                "min" in s
                or "max" in s
                or self.needs_validation(s["key"]["shape"], stack + (name,))
                or self.needs_validation(s["value"]["shape"], stack + (name,))
            )
        if t == "string":
            return "min" in s or "max" in s or "pattern" in s or "enum" in s
        if t in ("integer", "long", "double", "float"):
            return "min" in s or "max" in s
        return False

    def value_checks(self, shape_name, expr, path, depth, indent):
        """Emit checks for a present value `expr` (a reference) of shape `shape_name`.

        `path` names a `Path` variable; paths render to strings only when a check fails.
        """
        s = self.shapes[shape_name]
        t = s["type"]
        pad = "    " * indent
        sensitive = "true" if s.get("sensitive") else "false"
        if t == "string" and "enum" in s:
            self.emit(pad + "if let %s::Unknown(v) = %s {" % (shape_name, expr))
            self.emit(pad + "    v_.enum_value(&%s, v, %s::VALUES, %s);" % (path, shape_name, sensitive))
            self.emit(pad + "}")
        elif t == "string":
            if "min" in s:
                self.emit(pad + "v_.min_len(&%s, %s, %d, %s);" % (path, expr, s["min"], sensitive))
            if "max" in s:
                self.emit(pad + "v_.max_len(&%s, %s, %d, %s);" % (path, expr, s["max"], sensitive))
            if "pattern" in s:
                st = self.pattern_static(s["pattern"])
                self.emit(
                    pad + "v_.pattern(&%s, %s, &%s, %s, %s);"
                    % (path, expr, st, rust_str(s["pattern"]), sensitive)
                )
        elif t in ("integer", "long"):
            if "min" in s:
                self.emit(pad + "v_.min_value(&%s, i64::from(*%s), %d, %s);" % (path, expr, s["min"], sensitive))
            if "max" in s:
                self.emit(pad + "v_.max_value(&%s, i64::from(*%s), %d, %s);" % (path, expr, s["max"], sensitive))
        elif t in ("double", "float"):
            if "min" in s:
                self.emit(pad + "v_.min_float(&%s, f64::from(*%s), %r, %s);" % (path, expr, float(s["min"]), sensitive))
            if "max" in s:
                self.emit(pad + "v_.max_float(&%s, f64::from(*%s), %r, %s);" % (path, expr, float(s["max"]), sensitive))
        elif t == "structure":
            if self.needs_validation(shape_name):
                self.emit(pad + "%s.validate_at(&%s, v_);" % (expr, path))
        elif t == "list":
            if "min" in s:
                self.emit(pad + "v_.min_items(&%s, %s.len(), %d);" % (path, expr, s["min"]))
            if "max" in s:
                self.emit(pad + "v_.max_items(&%s, %s.len(), %d);" % (path, expr, s["max"]))
            member = s["member"]["shape"]
            if self.needs_validation(member):
                item, ip = "i%d_" % depth, "q%d_" % depth
                self.emit(pad + "for (n_, %s) in %s.iter().enumerate() {" % (item, expr))
                self.emit(pad + "    let %s = %s.index(n_);" % (ip, path))
                self.value_checks(member, item, ip, depth + 1, indent + 1)
                self.emit(pad + "}")
        elif t == "map":
            if "min" in s:
                self.emit(pad + "v_.min_items(&%s, %s.len(), %d);" % (path, expr, s["min"]))
            if "max" in s:
                self.emit(pad + "v_.max_items(&%s, %s.len(), %d);" % (path, expr, s["max"]))
            k, v = s["key"]["shape"], s["value"]["shape"]
            if self.needs_validation(k) or self.needs_validation(v):
                kk, vv, ip = "k%d_" % depth, "v%d_" % depth, "q%d_" % depth
                if self.needs_validation(v):
                    self.emit(pad + "for (%s, %s) in %s.iter() {" % (kk, vv, expr))
                else:
                    self.emit(pad + "for %s in %s.keys() {" % (kk, expr))
                self.emit(pad + "    let %s = %s.key(%s);" % (ip, path, kk))
                if self.needs_validation(k):
                    self.value_checks(k, kk, ip, depth + 1, indent + 1)
                if self.needs_validation(v):
                    self.value_checks(v, vv, ip, depth + 1, indent + 1)
                self.emit(pad + "}")

    def gen_enum(self, name):
        s = self.shapes[name]
        values = s["enum"]
        variants = [variant_name(v) for v in values]
        if len(set(variants)) != len(variants):
            raise ValueError("variant collision in %s" % name)
        self.emit("/// Smithy enum `%s`; `Unknown` keeps a value outside the model so validation can name it." % name)
        self.emit("#[derive(Debug, Clone, PartialEq, Eq, Hash)]")
        self.emit("pub enum %s {" % name)
        for v, var in zip(values, variants):
            self.emit("    /// `%s`" % v)
            self.emit("    %s," % var)
        self.emit("    /// A value the model does not list.")
        self.emit("    Unknown(String),")
        self.emit("}")
        self.emit()
        self.emit("impl %s {" % name)
        self.emit("    /// Every value the model lists, in model order.")
        self.emit("    pub const VALUES: &'static [&'static str] = &[%s];" % ", ".join('"%s"' % v for v in values))
        self.emit()
        self.emit("    /// The wire value.")
        self.emit("    pub fn as_str(&self) -> &str {")
        self.emit("        match self {")
        for v, var in zip(values, variants):
            self.emit('            Self::%s => "%s",' % (var, v))
        self.emit("            Self::Unknown(v) => v,")
        self.emit("        }")
        self.emit("    }")
        self.emit()
        self.emit("    /// Parses a wire value; values outside the model become `Unknown`.")
        self.emit("    pub fn from_wire(s: &str) -> Self {")
        self.emit("        match s {")
        for v, var in zip(values, variants):
            self.emit('            "%s" => Self::%s,' % (v, var))
        self.emit("            other => Self::Unknown(other.to_owned()),")
        self.emit("        }")
        self.emit("    }")
        self.emit("}")
        self.emit()
        self.emit("impl Serialize for %s {" % name)
        self.emit("    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {")
        self.emit("        s.serialize_str(self.as_str())")
        self.emit("    }")
        self.emit("}")
        self.emit()
        self.emit("impl<'de> Deserialize<'de> for %s {" % name)
        self.emit("    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {")
        self.emit("        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;")
        self.emit("        Ok(Self::from_wire(&s))")
        self.emit("    }")
        self.emit("}")
        self.emit()

    def gen_struct(self, name):
        s = self.shapes[name]
        members = s["members"]
        required = set(s.get("required", []))
        is_error = s.get("exception", False)
        doc = "Smithy structure `%s`." % name
        if is_error:
            doc = "Smithy error structure `%s`." % name
        self.emit("/// " + doc)
        self.emit("#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]")
        self.emit("pub struct %s {" % name)
        for m, mm in members.items():
            rt = self.rust_type(mm["shape"])
            self.emit('    #[serde(rename = "%s", default, skip_serializing_if = "Option::is_none")]' % m)
            req = " (required)" if m in required else ""
            self.emit("    /// `%s`%s" % (m, req))
            self.emit("    pub %s: Option<%s>," % (snake(m), rt))
        self.emit("}")
        self.emit()
        if name not in self.inputs:
            return
        if self.needs_validation(name):
            self.emit("impl Validate for %s {" % name)
            self.emit("    fn validate_at(&self, path_: &Path<'_>, v_: &mut Validator) {")
            for m, mm in members.items():
                field = snake(m)
                shape = mm["shape"]
                path = 'path_.field("%s")' % lower_camel(m)
                needs = self.needs_validation(shape)
                if m not in required and not needs:
                    continue
                self.emit("        {")
                self.emit("            let p_ = %s;" % path)
                if needs:
                    self.emit("            if let Some(x_) = &self.%s {" % field)
                    self.value_checks(shape, "x_", "p_", 0, 4)
                    if m in required:
                        self.emit("            } else {")
                        self.emit("                v_.missing(&p_);")
                    self.emit("            }")
                else:
                    self.emit("            if self.%s.is_none() {" % field)
                    self.emit("                v_.missing(&p_);")
                    self.emit("            }")
                self.emit("        }")
            self.emit("    }")
            self.emit("}")
        else:
            self.emit("impl Validate for %s {" % name)
            self.emit("    fn validate_at(&self, _path: &Path<'_>, _v: &mut Validator) {}")
            self.emit("}")
        self.emit()

    def generate(self):
        model = self.model
        names = sorted(reachable(model, self.ops))
        self.inputs = reachable(model, self.ops, ("input",))
        body_start = len(self.out)
        for n in names:
            s = self.shapes[n]
            if s["type"] == "structure":
                self.gen_struct(n)
            elif s["type"] == "string" and "enum" in s:
                self.gen_enum(n)
        body = self.out[body_start:]
        self.out = self.out[:body_start]

        head = []
        head.append("// @generated by tools/codegen/gen_dto.py from botocore %s's GameLift model." % botocore_version())
        head.append("// Do not edit by hand: change the generator and rerun it.")
        head.append("//! Wire shapes of the GameLift API (one type per Smithy shape) and their constraint checks.")
        head.append("#![allow(clippy::all, missing_docs, unused_imports)]")
        head.append("")
        head.append("use std::collections::BTreeMap;")
        head.append("use std::sync::LazyLock;")
        head.append("")
        head.append("use regex::Regex;")
        head.append("use serde::{Deserialize, Deserializer, Serialize, Serializer};")
        head.append("")
        head.append("use super::{Blob, Operation, Path, Timestamp, Unit, Validate, Validator};")
        head.append("")
        ops_all = sorted(model["operations"])
        head.append("/// Every operation in the GameLift model (%d)." % len(ops_all))
        head.append("pub const MODEL_OPERATIONS: &[&str] = &[")
        for o in ops_all:
            head.append('    "%s",' % o)
        head.append("];")
        head.append("")
        errors = sorted({e["shape"] for o in model["operations"].values() for e in o.get("errors", [])})
        head.append("/// Every error shape the model's operations declare (%d)." % len(errors))
        head.append("pub const MODEL_ERRORS: &[&str] = &[")
        for e in errors:
            head.append('    "%s",' % e)
        head.append("];")
        head.append("")
        head.append("// Each operation's name, bound to its input shape and its output shape (`Unit` when the")
        head.append("// model declares no output).")
        for o in sorted(self.ops):
            op = model["operations"][o]
            head.append("impl Operation for %s {" % op["input"]["shape"])
            head.append('    const NAME: &\'static str = "%s";' % o)
            head.append("    type Output = %s;" % (op["output"]["shape"] if "output" in op else "Unit"))
            head.append("}")
            head.append("")
        for pat, st in sorted(self.patterns.items(), key=lambda kv: int(kv[1].split("_")[1])):
            head.append("/// Model pattern `%s`, matched against the whole value." % pat.replace("`", "'"))
            head.append(
                "pub(crate) static %s: LazyLock<Regex> = LazyLock::new(|| super::compile_pattern(%s));"
                % (st, rust_str(rust_regex(pat)))
            )
        head.append("")
        head.append("/// Every pattern static, so a test can force them all to compile.")
        head.append("#[cfg(test)]")
        head.append("pub(crate) fn all_patterns() -> Vec<&'static Regex> {")
        head.append("    vec![%s]" % ", ".join("&*" + st for st in sorted(self.patterns.values(), key=lambda x: int(x.split("_")[1]))))
        head.append("}")
        head.append("")
        self.out = head + body
        text = "\n".join(self.out).rstrip() + "\n"
        return text


def botocore_version():
    import botocore  # noqa: PLC0415

    return botocore.__version__


def main():
    model = load_model()
    text = Gen(model, sorted(model["operations"])).generate()
    if "--check" in sys.argv:
        with open(OUT) as f:
            if f.read() != text:
                sys.exit("src/dto/generated.rs is stale: run python3 tools/codegen/gen_dto.py")
        return
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write(text)
    print("wrote %s" % os.path.relpath(OUT, ROOT))


if __name__ == "__main__":
    main()
